import { describe, expect, it } from 'vitest'
import {
  createHandshake,
  PRIMARY_AGENT_TOKEN,
  register,
  registerPair,
  SECONDARY_AGENT_TOKEN,
  startGateway,
  waitFor,
} from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

// VAULT_DR_STORE_KEY stands in for the API token here: with no store key, the API token is the store secret, and
// changing either one is the same change to the store.
const OLD_KEY = { VAULT_DR_STORE_KEY: 'store-key-before-rotation-0123' }
const NEW_KEY = { VAULT_DR_STORE_KEY: 'store-key-after-rotation-45678' }

describe('a rotated store key: registering the clusters again leads back to ready (fake agents)', () => {
  const fx = useGatewayFixture()

  async function start(env: Record<string, string>) {
    const gw = await startGateway(fx.path, { agents: fx.world.clients() }, env)
    fx.gateways.push(gw)
    return gw
  }
  const readiness = async (gw: Awaited<ReturnType<typeof start>>) => {
    const res = await gw.app.inject({ method: 'GET', url: '/readyz' })
    const store = (res.json().checks as Array<{ name: string; ok: boolean; detail: string }>).find(
      (c) => c.name === 'store',
    )
    return { status: res.statusCode, detail: store?.detail ?? '' }
  }

  it('names the clusters still sealed with the old key, and is ready (also after a restart) once all are registered again', async () => {
    const before = await start(OLD_KEY)
    await registerPair(before.app)
    await fx.close(before)

    const after = await start(NEW_KEY)
    const locked = await readiness(after)
    expect(locked.status).toBe(503)
    expect(locked.detail).toContain('dc1, dc2')
    expect(locked.detail).toContain('vault-dr clusters add')

    await register(after.app, 'dc1', 'primary', 'http://primary-agent:8410', PRIMARY_AGENT_TOKEN)
    const half = await readiness(after)
    expect(half.status).toBe(503)
    expect(half.detail).toMatch(/: dc2;/)

    await register(after.app, 'dc2', 'secondary', 'http://secondary-agent:8420', SECONDARY_AGENT_TOKEN)
    expect((await readiness(after)).status).toBe(200)
    const hs = await waitFor(after.app, (await createHandshake(after.app)).json().id)
    expect(hs.state).toBe('succeeded')
    await fx.close(after)

    const restarted = await start(NEW_KEY)
    expect((await readiness(restarted)).status).toBe(200)
    expect(restarted.logs.text).not.toContain('GATEWAY_ERR_STORE_KEY_MISMATCH')
    // The old key is the stranger now: the store is not silently handed back.
    await fx.close(restarted)
    const old = await start(OLD_KEY)
    expect((await readiness(old)).status).toBe(503)
  })
})
