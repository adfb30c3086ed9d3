import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { type Agent, AUTH, activateStreaming, enablePrimary, useHarness } from './helpers/harness.ts'

const start = (app: Agent) => app.inject({ method: 'POST', url: '/v1/dr/operation-token/ceremony', headers: AUTH })
const share = (app: Agent, nonce: string, key: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/dr/operation-token/ceremony/${nonce}/shares`,
    headers: AUTH,
    payload: { key },
  })
const cancel = (app: Agent) => app.inject({ method: 'DELETE', url: '/v1/dr/operation-token/ceremony', headers: AUTH })
const deleteToken = (app: Agent, token: string) =>
  app.inject({ method: 'POST', url: '/v1/dr/operation-token/delete', headers: AUTH, payload: { token } })
const acceptedBy = async (c: ClusterHandle, token: string) =>
  (await fetch(`${c.apiUrl}/v1/sys/storage/raft/autopilot/state`, { headers: { 'x-vault-token': token } })).status

describe('the DR operation token ceremony (startDrTokenCeremony, submitDrTokenCeremonyShare, cancelDrTokenCeremony)', () => {
  const h = useHarness()

  async function setup(): Promise<{
    primary: ClusterHandle
    secondary: ClusterHandle
    app: Agent
    logs: { text: string }
  }> {
    const primary = await h.cluster({ keyShares: 5, keyThreshold: 3 })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app, logs } = await h.agent(secondary)
    await activateStreaming(app, primary, secondary)
    return { primary, secondary, app, logs }
  }

  it("decodes a DR operation token from the primary's key shares; it promotes the secondary; no share or OTP shown", async () => {
    const { primary, secondary, app, logs } = await setup()
    const started = await start(app)
    expect(started.statusCode, started.body).toBe(201)
    const { nonce, required } = started.json()
    expect(started.body).not.toMatch(/otp/i)
    const keys = primary.unsealKeys.slice(0, required)
    let last = started.json()
    for (const [i, key] of keys.entries()) {
      const res = await share(app, nonce, key)
      expect(res.statusCode, res.body).toBe(200)
      last = res.json()
      expect(last.progress === i + 1 || last.complete).toBe(true)
      expect(res.body).not.toContain(key)
    }
    expect(last.complete).toBe(true)
    const token = String(last.token)
    expect(token.length).toBeGreaterThan(10)
    for (const key of keys) expect(logs.text).not.toContain(key)
    expect(logs.text).not.toContain(token)

    const promoted = await fetch(`${secondary.apiUrl}/v1/sys/replication/dr/secondary/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dr_operation_token: token }),
    })
    expect(promoted.status, await promoted.text()).toBeLessThan(300)
  })

  it('deletes the ceremony token in Vault (deleteDrOperationToken); deleted again, it is not valid; never echoed', async () => {
    const { primary, secondary, app, logs } = await setup()
    const { nonce, required } = (await start(app)).json()
    let last = { token: '' }
    for (const key of primary.unsealKeys.slice(0, required)) last = (await share(app, nonce, key)).json()
    const token = String(last.token)
    expect(await acceptedBy(secondary, token)).toBe(200)

    const deleted = await deleteToken(app, token)
    expect(deleted.statusCode, deleted.body).toBe(200)
    expect(deleted.json()).toMatchObject({ outcome: 'deleted' })
    expect(await acceptedBy(secondary, token)).toBe(403)
    const again = await deleteToken(app, token)
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toMatchObject({ outcome: 'not_valid' })
    for (const text of [deleted.body, again.body, logs.text]) expect(text).not.toContain(token)

    const bad = await deleteToken(app, '')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().detail).toContain('token')
  })

  it('says plainly when the DR secondary wants authentication for the ceremony (reported of recent versions)', async () => {
    const primary = await h.cluster({ keyShares: 5, keyThreshold: 3 })
    await enablePrimary(primary)
    const secondary = await h.cluster({ compat: { ceremonyAuth: 'root' } })
    const { app } = await h.agent(secondary)
    await activateStreaming(app, primary, secondary)
    for (const res of [await start(app), await cancel(app)]) {
      expect(res.statusCode, res.body).toBe(409)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ code: 'SECONDARY_ERR_CEREMONY_AUTH_REQUIRED' })
      expect(res.json().fix).toContain('enable_unauthenticated_access')
      expect(res.json().fix).toContain('vault-dr dr-token rotate')
    }
  })

  it('refuses to start or cancel on a cluster that is not a DR secondary: 409 naming its role, not a 502', async () => {
    const primary = await h.cluster({ keyShares: 5, keyThreshold: 3 })
    await enablePrimary(primary)
    const { app } = await h.agent(primary)
    for (const res of [await start(app), await cancel(app)]) {
      expect(res.statusCode, res.body).toBe(409)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ code: 'SECONDARY_ERR_NOT_DR_SECONDARY' })
      expect(res.json().fix).toContain('vault-dr dr-token ceremony')
      expect(res.json().detail).toContain('DR mode is primary')
    }
  })

  it('refuses a wrong share clearly, one attempt at a time, and cancels', async () => {
    const { app } = await setup()
    const { nonce } = (await start(app)).json()
    const busy = await start(app)
    expect(busy.statusCode).toBe(409)
    expect(busy.json().code).toBe('SECONDARY_ERR_CEREMONY_IN_PROGRESS')
    const wrong = Buffer.alloc(33, 7).toString('base64')
    let refused = await share(app, nonce, wrong)
    for (let i = 0; i < 5 && refused.statusCode === 200; i += 1)
      refused = await share(app, nonce, Buffer.alloc(33, 8 + i).toString('base64'))
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ code: 'SECONDARY_ERR_CEREMONY_SHARE_REJECTED', fix: expect.any(String) })
    expect(refused.body).not.toContain(wrong)
    const bad = await share(app, nonce, 'not a share!')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().detail).toContain('key')
    // A fragment of a share is no share: refused before Vault sees it.
    const fragment = await share(app, nonce, 'a1')
    expect(fragment.statusCode).toBe(400)
    expect(fragment.json().detail).toContain('must be a whole key share')
    const unknown = await share(app, 'no-such-nonce', wrong)
    expect(unknown.json().code).toBe('SECONDARY_ERR_CEREMONY_UNKNOWN')
    // Wrong shares end the attempt in Vault: a new one starts, and is cancelled.
    expect((await start(app)).statusCode).toBe(201)
    expect((await cancel(app)).json()).toEqual({ cancelled: true })
    expect((await cancel(app)).json()).toEqual({ cancelled: false })
  })
})
