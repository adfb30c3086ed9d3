import { describe, expect, it } from 'vitest'
import { batchToken } from './helpers/batch-token.ts'
import { type Agent, AUTH, enablePrimary, useHarness, waitFor } from './helpers/harness.ts'

function check(app: Agent, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/dr/operation-token/check', headers: AUTH, payload })
}

describe('POST /v1/dr/operation-token/check (checkDrOperationToken)', () => {
  const h = useHarness()

  /** A streaming pair, Vault's answer to the validation call the one given when `answer` is. */
  const setup = (answer?: { status: number; body: string }) =>
    h.streamingPair(
      answer === undefined ? undefined : { route: { method: 'GET', path: 'sys/storage/raft/autopilot/state' }, answer },
    )

  it('accepts a batch token made on the primary, and refuses one from another cluster or without the policy', async () => {
    const { primary, secondary, app, logs } = await setup()
    const good = await batchToken(primary, '1h', { replicatedTo: secondary })
    const ok = await check(app, { token: good })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.headers['cache-control']).toBe('no-store')
    expect(ok.json()).toMatchObject({ valid: true, outcome: 'valid', code: 'DR_TOKEN_VALID', fix: null })
    // What autopilot said of the DR site's raft in the same answer (one voter here: no failure tolerance).
    expect(ok.json().raft).toEqual({ healthy: true, failure_tolerance: 0 })

    const stranger = await h.cluster()
    await enablePrimary(stranger)
    const foreign = await batchToken(stranger, '1h')
    const refused = await check(app, { token: foreign })
    expect(refused.json()).toMatchObject({ valid: false, outcome: 'invalid', code: 'DR_TOKEN_REJECTED', raft: null })
    expect(refused.json().fix).toContain('dr-token rotate')

    const narrow = await batchToken(primary, '1h', {
      policy: 'path "sys/health" { capabilities = ["read"] }',
      replicatedTo: secondary,
    })
    expect((await check(app, { token: narrow })).json().outcome).toBe('invalid')

    for (const token of [good, foreign, narrow]) {
      expect(logs.text).not.toContain(token)
      expect(ok.body + refused.body).not.toContain(token)
    }
  })

  it('refuses a token once it expired', async () => {
    const { primary, secondary, app } = await setup()
    // Long enough to be checked valid first on a loaded machine (a 2 s token had expired before its first check).
    const token = await batchToken(primary, '5s', { replicatedTo: secondary })
    expect((await check(app, { token })).json().valid).toBe(true)
    await waitFor('the token to expire', async () => ((await check(app, { token })).json().valid ? undefined : true))
    expect((await check(app, { token })).json().code).toBe('DR_TOKEN_REJECTED')
  })

  it('is inconclusive where Vault does not serve the validation call on a DR secondary', async () => {
    const disabled = {
      status: 400,
      body: JSON.stringify({ errors: ['path disabled in replication DR secondary mode'] }),
    }
    const { primary, app } = await setup(disabled)
    const res = await check(app, { token: await batchToken(primary, '1h') })
    expect(res.json()).toMatchObject({ valid: false, outcome: 'inconclusive', code: 'DR_TOKEN_CHECK_UNSUPPORTED' })
  })

  it('refuses a cluster that is not a DR secondary, and bad input with a 400 naming the field', async () => {
    const lone = await h.cluster()
    const { app } = await h.agent(lone)
    const res = await check(app, { token: 'hvb.whatever' })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('SECONDARY_ERR_NOT_DR_SECONDARY')
    const empty = await check(app, { token: '' })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().detail).toContain('token')
    const missing = await check(app, {})
    expect(missing.statusCode).toBe(400)
    expect(missing.json().detail).toContain('token')
    // What cannot go in an HTTP header to Vault is refused here, naming the field, not passed on as a 502.
    for (const token of ['hvb.abc\ndef', 'hvb.\u2603', 'a\u0000b', 'hvb. spaced']) {
      const bad = await check(app, { token })
      expect(bad.statusCode, JSON.stringify(token)).toBe(400)
      expect(bad.json().errors).toContainEqual(expect.objectContaining({ path: 'body/token' }))
      expect(bad.body).not.toContain(token)
    }
  })

  it('answers a sealed secondary with a coded error and its fix', async () => {
    const { primary, secondary, app } = await setup()
    const token = await batchToken(primary, '1h', { replicatedTo: secondary })
    secondary.faults.seal()
    const res = await check(app, { token })
    expect(res.statusCode).toBe(503)
    expect(res.json().code).toMatch(/SEALED/)
    expect(res.body).not.toContain(token)
  })
})
