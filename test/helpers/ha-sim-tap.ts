import type { SwitchStack } from '../e2e/switchover-stack.ts'

/**
 * Calls `act` once, synchronously, the moment an emulated cluster logs a line containing `text` (as "dc1: [dc1] dr:
 * demoted to secondary"): inside the Vault call that made the change, before its answer leaves for the agent. A
 * poll of `simEvents` would see it only after the answer had reached the gateway.
 */
export function onSimEvent(
  stack: SwitchStack,
  text: string,
  act: () => void,
): { fired: () => boolean; remove: () => void } {
  const events = stack.simEvents
  let fired = false
  const push = Array.prototype.push
  events.push = (...lines: string[]) => {
    const n = push.apply(events, lines)
    if (!fired && lines.some((l) => l.includes(text))) {
      fired = true
      Reflect.deleteProperty(events, 'push')
      act()
    }
    return n
  }
  return { fired: () => fired, remove: () => Reflect.deleteProperty(events, 'push') }
}
