import { describe, expect, it } from 'vitest'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import {
  AUTH,
  createHandshake,
  getHandshake,
  registerPair,
  startGateway,
  stepStatuses,
  until,
  waitFor,
} from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>
const never = () => new Promise<never>(() => {})
const WRONG_KEY = { VAULT_DR_STORE_KEY: 'mistyped-store-key-0123456789' }

describe('a restart with the wrong store key leaves in-flight handshakes for the right key (fake agents)', () => {
  const fx = useGatewayFixture()

  async function start(env: Record<string, string> = {}) {
    const gw = await startGateway(fx.path, { agents: fx.world.clients() }, env)
    fx.gateways.push(gw)
    return gw
  }

  /** A handshake whose gateway stopped right before activate_secondary: a token is minted and unused. */
  async function interruptedBeforeActivation(): Promise<string> {
    const holder: { gw?: Gateway } = {}
    let stopped!: Promise<void>
    holder.gw = await startGateway(fx.path, {
      agents: fx.world.clients(),
      stopGraceMs: 0,
      hooks: {
        beforeStep: (_id, step) => {
          if (step !== 'activate_secondary') return
          stopped = holder.gw?.app.close() ?? Promise.resolve()
          return never()
        },
      },
    })
    await registerPair(holder.gw.app)
    const id = (await createHandshake(holder.gw.app)).json().id as string
    await until(() => stopped !== undefined, 'the first gateway to stop')
    await stopped
    return id
  }

  it('says at start, at warn, when the API token stands in for VAULT_DR_STORE_KEY; not when a key is set', async () => {
    const fallback = await start()
    const said = fallback.logs.text.split('\n').find((l) => l.includes('VAULT_DR_STORE_KEY is not set'))
    expect(JSON.parse(said ?? '{}')).toMatchObject({ level: 40 })
    await fallback.app.close()
    const keyed = await start(WRONG_KEY)
    expect(keyed.logs.text).not.toContain('VAULT_DR_STORE_KEY is not set')
  })

  it('does not resume with the wrong key, refuses new handshakes, and resumes with the right one', async () => {
    const id = await interruptedBeforeActivation()
    const wrong = await start(WRONG_KEY)
    expect((await wrong.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503)
    expect(wrong.logs.text).toContain('GATEWAY_ERR_STORE_KEY_MISMATCH')
    expect(wrong.logs.text).toContain('restart the gateway with the VAULT_DR_STORE_KEY')
    const refused = await createHandshake(wrong.app)
    expect(refused.json().code).toBe('GATEWAY_ERR_STORE_KEY_MISMATCH')
    const left = await getHandshake(wrong.app, id)
    expect(left.state).toBe('running')
    expect(stepStatuses(left)).toMatchObject({ inspect_token: 'succeeded', activate_secondary: 'pending' })
    await wrong.app.close()
    fx.gateways.splice(0)

    const right = await start()
    const hs = await waitFor(right.app, id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(fx.world.activations).toBe(1)
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
  })

  it('a run started with the wrong key (here by a cancel) leaves the handshake and its lease for the right key', async () => {
    const id = await interruptedBeforeActivation()
    const wrong = await start(WRONG_KEY)
    const res = await wrong.app.inject({ method: 'POST', url: `/v1/handshakes/${id}/cancel`, headers: AUTH })
    expect(res.statusCode, res.body).toBe(202)
    await until(() => wrong.logs.text.includes('handshake left unfinished'), 'the run to give up')
    expect((await getHandshake(wrong.app, id)).state).toBe('running')
    const store = new SqliteStore(fx.path)
    await until(async () => store.claim(id, 'another-gateway', Date.now(), Date.now() + 1), 'the lease release')
    await store.release(id, 'another-gateway')
    await store.close()
    await wrong.app.close()
    fx.gateways.splice(0)

    // The right key carries the cancellation out, revoking the token minted before the restart.
    const hs = await waitFor((await start()).app, id)
    expect(hs.state).toBe('cancelled')
    expect(hs.error?.detail).toContain('revoked the unused secondary id dc2')
    expect(fx.world.knownSecondaries.size).toBe(0)
    expect(fx.world.activations).toBe(0)
  })
})
