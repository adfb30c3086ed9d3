import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  type Agent,
  AUTH,
  activate,
  enablePrimary,
  fastTimings,
  mintToken,
  unwrap,
  useHarness,
} from './helpers/harness.ts'
import { startVaultGate } from './helpers/net.ts'

function activation(app: Agent, id: string) {
  return app.inject({ method: 'GET', url: `/v1/dr/secondary/activations/${id}`, headers: AUTH })
}

describe('getActivation: how an activation sent to this agent stands', () => {
  const h = useHarness()

  async function setup() {
    const primary = await h.cluster()
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app } = await h.agent(secondary)
    return { primary, secondary, app }
  }

  it('is in flight while Vault works, refuses a second activation meanwhile, then says it succeeded', async () => {
    const primary = await h.cluster()
    await enablePrimary(primary)
    // The secondary waits on its unwrap as long as the test holds it.
    const secondary = await h.cluster({ timings: { ...fastTimings, unwrapTimeoutMs: 30_000 } })
    const { app } = await h.agent(secondary)
    const token = await mintToken(primary, 'dc2')
    const other = await mintToken(primary, 'dc3')
    // The secondary's unwrap on the primary is held at a gate until the test has looked.
    const gate = await startVaultGate(primary.apiUrl, '/v1/sys/wrapping/unwrap')
    try {
      const first = activate(app, { token, confirm_wipe: true, activation_id: 'hs-1.1', primary_api_addr: gate.url })
      await Promise.race([
        gate.arrived(1),
        sleep(10_000).then(() => Promise.reject(new Error('the unwrap never reached the gate'))),
      ])
      expect((await activation(app, 'hs-1.1')).json().state).toBe('in_flight')
      const second = await activate(app, { token: other, confirm_wipe: true })
      expect(second.statusCode).toBe(409)
      expect(second.json().code).toBe('SECONDARY_ERR_ACTIVATION_IN_PROGRESS')
      gate.open()
      expect((await first).statusCode).toBe(200)
    } finally {
      await gate.close()
    }
    const done = (await activation(app, 'hs-1.1')).json()
    expect(done).toMatchObject({ activation_id: 'hs-1.1', state: 'succeeded', error: null })
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at))
    expect(secondary.state().secondaryId).toBe('dc2')
  })

  it('says failed, and that Vault answered (no activation can follow), when the primary refuses the token', async () => {
    const { primary, secondary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    await unwrap(primary, token)
    const res = await activate(app, { token, confirm_wipe: true, activation_id: 'hs-2.1' })
    expect(res.statusCode).toBe(400)
    const state = (await activation(app, 'hs-2.1')).json()
    expect(state).toMatchObject({
      state: 'failed',
      error: { code: 'SECONDARY_ERR_TOKEN_REJECTED', may_have_activated: false },
    })
    expect(JSON.stringify(state)).not.toContain(token)
    expect(secondary.state().drMode).toBe('disabled')
  })

  it('a request refused as asked (wipe not confirmed) leaves the record of an activation with its id as it was', async () => {
    const { primary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    expect((await activate(app, { token, confirm_wipe: true, activation_id: 'hs-3.1' })).statusCode).toBe(200)
    const other = await mintToken(primary, 'dc3')
    const refused = await activate(app, { token: other, activation_id: 'hs-3.1' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().code).toBe('SECONDARY_ERR_WIPE_NOT_CONFIRMED')
    expect((await activation(app, 'hs-3.1')).json()).toMatchObject({ state: 'succeeded', error: null })
    expect((await activation(app, 'hs-3.2')).json()).toMatchObject({ state: 'unknown' })
    expect((await activate(app, { token: other, activation_id: 'hs-3.2' })).statusCode).toBe(400)
    expect((await activation(app, 'hs-3.2')).json()).toMatchObject({ state: 'unknown' })
  })

  it('says unknown for an activation this agent process never received, with when the process started', async () => {
    const { app } = await setup()
    const res = await activation(app, 'never-sent')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ activation_id: 'never-sent', state: 'unknown', started_at: null })
    expect(Date.parse(res.json().agent_started_at)).toBeLessThanOrEqual(Date.now())
  })

  it.each(['a b', 'x'.repeat(129), '%00'])('refuses the id %j naming params/activation_id', async (id) => {
    const { app } = await setup()
    const res = await activation(app, encodeURIComponent(id))
    expect(res.statusCode).toBe(400)
    expect(res.json().errors?.[0]?.path ?? res.json().detail).toContain('activation_id')
  })
})
