import { describe, expect, it } from 'vitest'
import { AUTH, useHarness } from './helpers/harness.ts'

/** A JWT-shaped activation token whose jti (the wrapping token itself) is `jti`. */
const tokenWithJti = (jti: string) =>
  ['{"alg":"ES512","typ":"JWT"}', JSON.stringify({ jti, type: 'wrapping' }), 'signature']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.')

describe('updateDrPrimary never hands back the activation token or its jti', () => {
  const h = useHarness()

  it("scrubs them from Vault's refusal, whatever Vault echoes", async () => {
    const jti = 'hvs.wrapping-token-itself-0123456789'
    const token = tokenWithJti(jti)
    const drToken = 'hvb.dr-operation-token-0123456789'
    const echo = { errors: [`wrapping token ${jti} is not valid (token ${token}, dr token ${drToken})`] }
    const { app, logs } = await h.streamingPair({
      route: { method: 'POST', path: 'sys/replication/dr/secondary/update-primary' },
      answer: { status: 400, body: JSON.stringify(echo) },
    })

    const res = await app.inject({
      method: 'POST',
      url: '/v1/dr/secondary/update-primary',
      headers: { ...AUTH, 'x-vault-dr-epoch': '1' },
      payload: { dr_operation_token: drToken, token },
    })
    expect(res.statusCode).toBeGreaterThanOrEqual(400)
    expect(res.body).toContain('[REDACTED]')
    for (const secret of [jti, token, drToken]) {
      expect(res.body).not.toContain(secret)
      expect(logs.text).not.toContain(secret)
    }
  })
})
