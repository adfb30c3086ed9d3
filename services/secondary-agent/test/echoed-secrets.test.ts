import { describe, expect, it } from 'vitest'
import { batchToken } from './helpers/batch-token.ts'
import { AUTH, useHarness } from './helpers/harness.ts'

/** Vault's answer with `secret` said back in its errors or, for a 2xx, in its warnings. */
const echoing = (secret: string) => (answered: { status: number; body: string }) => {
  if (answered.status >= 300) return { status: answered.status, body: JSON.stringify({ errors: [`bad ${secret}`] }) }
  const body = JSON.parse(answered.body || '{}') as { warnings?: string[] }
  return {
    status: answered.status,
    body: JSON.stringify({ ...body, warnings: [...(body.warnings ?? []), `given ${secret}`] }),
  }
}

describe('secrets a Vault says back are scrubbed from answers and logs', () => {
  const h = useHarness()

  it("promote: the DR operation token, from Vault's warnings", async () => {
    let real = ''
    const { app, logs, primary, secondary } = await h.streamingPair({
      route: { method: 'POST', path: 'sys/replication/dr/secondary/promote' },
      answer: { rewrite: (answered) => echoing(real)(answered) },
    })
    real = await batchToken(primary, '1h', { replicatedTo: secondary })
    const res = await app.inject({
      method: 'POST',
      url: '/v1/dr/secondary/promote',
      headers: { ...AUTH, 'x-vault-dr-epoch': '1' },
      payload: { dr_operation_token: real },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().warnings).toContain('given [REDACTED]')
    expect(res.body + logs.text).not.toContain(real)
  })

  it("the DR operation token check: the token, from Vault's error", async () => {
    let token = ''
    const { app, logs, primary } = await h.streamingPair({
      route: { method: 'GET', path: 'sys/storage/raft/autopilot/state' },
      answer: { rewrite: () => ({ status: 500, body: JSON.stringify({ errors: [`internal error with ${token}`] }) }) },
    })
    token = await batchToken(primary, '1h')
    const res = await app.inject({
      method: 'POST',
      url: '/v1/dr/operation-token/check',
      headers: AUTH,
      payload: { token },
    })
    expect(res.statusCode).toBeGreaterThanOrEqual(500)
    expect(res.body).toContain('[REDACTED]')
    expect(res.body + logs.text).not.toContain(token)
  })

  it("the key-share ceremony: the key share, from Vault's refusal", async () => {
    const key = Buffer.alloc(33, 7).toString('base64')
    const { app, logs } = await h.streamingPair({
      route: { method: 'POST', path: 'sys/replication/dr/secondary/generate-operation-token/update' },
      answer: { status: 400, body: JSON.stringify({ errors: [`the key ${key} is not a share of this cluster`] }) },
    })
    const started = await app.inject({ method: 'POST', url: '/v1/dr/operation-token/ceremony', headers: AUTH })
    expect(started.statusCode, started.body).toBe(201)
    const res = await app.inject({
      method: 'POST',
      url: `/v1/dr/operation-token/ceremony/${started.json().nonce}/shares`,
      headers: AUTH,
      payload: { key },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('SECONDARY_ERR_CEREMONY_SHARE_REJECTED')
    expect(res.body).toContain('[REDACTED]')
    expect(res.body + logs.text).not.toContain(key)
  })
})
