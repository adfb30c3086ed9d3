import { describe, expect, it } from 'vitest'
import type { Store } from '../src/store/store.ts'
import { AUTH, createHandshake, registerPair, startGateway, until } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'

const never = () => new Promise<never>(() => {})

describe.each(STORE_KINDS)('the event stream of a handshake another gateway sharing the %s store finishes', (kind) => {
  const fx = useGatewayFixture(kind)

  it('sends every stored event before done, the final state event included', async () => {
    const inner = fx.openStore()
    const other = fx.openStore()
    let armed = false
    let commitFromOtherGateway = async () => {}
    const store: Store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'events') {
          return async (id: string, after: number) => {
            const events = await target.events(id, after)
            // Another gateway sharing the store commits the final transition between this read and the next one.
            if (armed && after > 0) {
              armed = false
              await commitFromOtherGateway()
            }
            return events
          }
        }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const gw = await startGateway(
      fx.path,
      {
        agents: fx.world.clients(),
        store,
        stopGraceMs: 0,
        hooks: { beforeStep: never },
      },
      fx.storeEnv,
    )
    fx.gateways.push(gw)
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await until(async () => (await inner.getHandshake(id))?.state === 'running', 'running')

    commitFromOtherGateway = async () => {
      const at = new Date().toISOString()
      const error = { code: 'GATEWAY_ERR_CANCELLED', detail: 'cancelled by request', fix: null }
      const event = { type: 'state' as const, data: { state: 'cancelled', error } }
      await other.updateHandshake(id, { state: 'cancelled', error, finished_at: at }, at, event)
    }
    armed = true
    const res = await gw.app.inject({ method: 'GET', url: `/v1/handshakes/${id}/events`, headers: AUTH })
    const kinds = res.body
      .split('\n\n')
      .filter(Boolean)
      .map((b) => b.split('\n').find((l) => l.startsWith('event:')))
    expect(res.body).toContain('"state":"cancelled"')
    expect(kinds.filter((k) => k === 'event: state')).toHaveLength(1)
    expect(kinds.at(-1)).toBe('event: done')
    await gw.app.close()
    fx.gateways.length = 0
    await inner.close()
    await other.close()
  })
})
