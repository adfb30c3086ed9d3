import type { Store } from '../../src/store/store.ts'

/**
 * A store that dies as a gateway process killed (or frozen) mid-operation does: from `die()` on, or after the call
 * `lastCall` picks has gone through, no call reaches the store and none answers, so its leases are neither renewed
 * nor released. `bury()` ends the calls left waiting, so the test can close what is left of the gateway.
 */
export function mortalStore(
  inner: Store,
  lastCall: (method: string | symbol, args: unknown[]) => boolean = () => false,
): { store: Store; die: () => Promise<never>; bury: () => void; isDead: () => boolean } {
  let dead = false
  const grave = new AbortController()
  const never = () =>
    new Promise<never>((_, reject) => {
      if (grave.signal.aborted) reject(new Error('the process is dead'))
      grave.signal.addEventListener('abort', () => reject(new Error('the process is dead')))
    })
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function' || prop === 'close') return value?.bind?.(target) ?? value
      return async (...args: unknown[]) => {
        if (dead) return never()
        if (!lastCall(prop, args)) return value.apply(target, args)
        const result = await value.apply(target, args)
        dead = true
        return result
      }
    },
  })
  return {
    store,
    die: () => {
      dead = true
      return never()
    },
    bury: () => grave.abort(),
    isDead: () => dead,
  }
}
