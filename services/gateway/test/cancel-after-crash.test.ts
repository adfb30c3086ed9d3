import { describe, expect, it } from 'vitest'
import type { StepName } from '../src/handshakes/handshakes.schemas.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import { createHandshake, registerPair, startGateway, waitFor } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>
const never = () => new Promise<never>(() => {})

describe('a cancellation carried out on resume after a crash in the middle of the mint (fake agents)', () => {
  const fx = useGatewayFixture()

  async function crashingGateway(crash: { beforeStep?: StepName; during?: string }) {
    const holder: { gw?: Gateway } = {}
    let closed!: () => void
    const crashed = new Promise<void>((resolve) => {
      closed = resolve
    })
    const die = () => {
      void holder.gw?.app.close().then(closed)
      return never()
    }
    if (crash.during !== undefined) {
      fx.world.intercept[crash.during] = async (next) => {
        delete fx.world.intercept[crash.during as string]
        await next()
        return die()
      }
    }
    holder.gw = await startGateway(fx.path, {
      agents: fx.world.clients(),
      stopGraceMs: 0,
      hooks: { beforeStep: (_id, step) => (step === crash.beforeStep ? die() : undefined) },
    })
    return { gw: holder.gw, crashed }
  }

  it('revokes the id of the token the crashed run minted, so the next handshake can use it', async () => {
    const { gw, crashed } = await crashingGateway({ during: 'primary.mintToken' })
    await registerPair(gw.app)
    const id = (await createHandshake(gw.app)).json().id as string
    await crashed
    // The operator cancels while the gateway is down (or through another gateway sharing the store).
    const store = new SqliteStore(fx.path)
    await store.requestCancel(id, new Date().toISOString())
    const before = await store.getHandshake(id)
    await store.close()
    expect(before?.steps.find((s) => s.name === 'mint_token')?.status).toBe('running')
    expect(before?.token).toBeNull()

    const gw2 = await startGateway(fx.path, { agents: fx.world.clients() })
    fx.gateways.push(gw2)
    const hs = await waitFor(gw2.app, id)
    const live = [...fx.world.tokens.values()].filter((t) => !t.used && !t.revoked && t.exp > Date.now())

    // The next handshake for the same pair mints for the id anew.
    const next = await createHandshake(gw2.app)
    const hs2 = await waitFor(gw2.app, next.json().id as string)

    expect(hs.state).toBe('cancelled')
    expect(live).toHaveLength(0)
    expect(hs.error?.detail).toContain('revoked the unused secondary id dc2')
    expect(hs2.state).toBe('succeeded')
  })
})
