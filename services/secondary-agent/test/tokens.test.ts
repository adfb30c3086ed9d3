import { SIGNATURE_NOTE } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'
import {
  type Agent,
  API_TOKEN,
  AUTH,
  enablePrimary,
  mintToken,
  unwrap,
  useHarness,
  waitFor,
} from './helpers/harness.ts'
import { closedPort, startBlackHole } from './helpers/net.ts'

const jtiOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti

/** A JWT-shaped string with these claims and a fake signature. */
const fakeJwt = (claims: Record<string, unknown>) =>
  [{ alg: 'ES512', typ: 'JWT' }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') +
  '.c2lnbmF0dXJlLW5vdC1jaGVja2Vk'

async function inspect(app: Agent, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/tokens/inspect', headers: AUTH, payload })
}

describe('POST /v1/tokens/inspect (inspectToken)', () => {
  const h = useHarness()

  async function setup(options: { tls?: boolean } = {}) {
    const primary = await h.cluster({ tls: options.tls ?? false })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app, logs } = await h.agent(secondary, { probeTimeoutMs: 1_000 })
    return { primary, secondary, app, logs }
  }

  it('decodes the claims and confirms the token with its issuer, without consuming it or showing jti', async () => {
    const { primary, app, logs } = await setup()
    const token = await mintToken(primary, 'dc2')

    for (let i = 0; i < 2; i++) {
      const res = await inspect(app, { token })
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body.claims).toMatchObject({ addr: primary.apiUrl, type: 'wrapping', accessor: '' })
      expect(body.claims.exp - body.claims.iat).toBe(1800)
      expect(body.claims).not.toHaveProperty('jti')
      expect(body.issued_at).toBe(new Date(body.claims.iat * 1000).toISOString())
      expect(body.expires_at).toBe(new Date(body.claims.exp * 1000).toISOString())
      expect(body.not_before).toBe(new Date(body.claims.nbf * 1000).toISOString())
      expect(body.seconds_left).toBeGreaterThan(1790)
      expect(body.expired).toBe(false)
      expect(body.signature_verified).toBe(false)
      expect(body.signature_note).toBe(SIGNATURE_NOTE)
      // A second inspect still finds the token valid: lookup does not consume it.
      expect(body.lookup).toMatchObject({
        valid: true,
        code: 'OK',
        address: primary.apiUrl,
        creation_path: 'sys/replication/dr/primary/secondary-token',
        creation_ttl: 1800,
        fix: null,
      })
      expect(typeof body.lookup.creation_time).toBe('string')
      expect(res.body).not.toContain(jtiOf(token))
      expect(res.body).not.toContain(token)
    }
    expect(logs.text).not.toContain(token)
    expect(logs.text).not.toContain(jtiOf(token))
    expect(logs.text).not.toContain(API_TOKEN)
  })

  it('reports a used token as TOKEN_USED_OR_EXPIRED', async () => {
    const { primary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    await unwrap(primary, token)
    const body = (await inspect(app, { token })).json()
    expect(body.expired).toBe(false)
    expect(body.lookup).toMatchObject({ valid: false, code: 'TOKEN_USED_OR_EXPIRED', creation_path: null })
    expect(body.lookup.fix).toMatch(/new/)
  })

  it('reports an expired token (ttl 1s) as expired, and its lookup as TOKEN_USED_OR_EXPIRED', async () => {
    const { primary, app } = await setup()
    const token = await mintToken(primary, 'dc2', '1s')
    const body = await waitFor('the token to expire', async () => {
      const b = (await inspect(app, { token })).json()
      return b.expired && !b.lookup.valid ? b : undefined
    })
    expect(body.seconds_left).toBe(0)
    expect(body.lookup.code).toBe('TOKEN_USED_OR_EXPIRED')
  })

  it('reports a token looked up at another cluster as TOKEN_FOREIGN', async () => {
    const { primary, secondary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    const body = (await inspect(app, { token, primary_api_addr: secondary.apiUrl })).json()
    expect(body.lookup).toMatchObject({ valid: false, code: 'TOKEN_FOREIGN', address: secondary.apiUrl })
    expect(body.lookup.detail).toContain('error validating wrapping token')
  })

  it('reports an unreachable or untrusted primary in lookup instead of failing', async () => {
    const { primary, app } = await setup({ tls: true })
    const token = await mintToken(primary, 'dc2')

    const port = await closedPort()
    const refused = await inspect(app, { token, primary_api_addr: `https://127.0.0.1:${port}` })
    expect(refused.statusCode).toBe(200)
    expect(refused.json().lookup).toMatchObject({ valid: false, code: 'PRIMARY_API_REFUSED' })

    const hole = await startBlackHole()
    h.defer(hole.close)
    const started = performance.now()
    const silent = (await inspect(app, { token, primary_api_addr: hole.url })).json()
    expect(silent.lookup).toMatchObject({ valid: false, code: 'PRIMARY_API_TIMEOUT' })
    expect(performance.now() - started).toBeLessThan(3_000) // probeTimeoutMs is 1 s

    const untrusted = (await inspect(app, { token })).json()
    expect(untrusted.lookup).toMatchObject({ valid: false, code: 'PRIMARY_API_TLS_UNTRUSTED' })

    const trusted = (await inspect(app, { token, ca_pem: primary.apiCaPem })).json()
    expect(trusted.lookup).toMatchObject({ valid: true, code: 'OK' })
  })

  it('says NO_PRIMARY_ADDR when the token has no addr and none was given', async () => {
    const primary = await h.cluster({ apiAdvertiseAddr: '' })
    await enablePrimary(primary)
    const { app } = await h.agent(primary)
    const token = await mintToken(primary, 'dc2')
    const body = (await inspect(app, { token })).json()
    expect(body.claims.addr).toBeNull()
    expect(body.lookup).toMatchObject({ valid: false, code: 'NO_PRIMARY_ADDR', address: null })
    // Given the address, the lookup works.
    const given = (await inspect(app, { token, primary_api_addr: primary.apiUrl })).json()
    expect(given.lookup).toMatchObject({ valid: true, code: 'OK' })
  })

  it('refuses malformed tokens and bodies with 400/413/415, never echoing the token', async () => {
    const { primary, app, logs } = await setup()
    const token = await mintToken(primary, 'dc2')
    const now = Math.floor(Date.now() / 1000)
    const malformed = [
      'not-a-token',
      'aaaaaaaaaaaa.bbbbbbbbbbbbbb.cccccccccccc',
      `${token}.extra`,
      token.replace('.', '!'),
      fakeJwt({ iat: now, exp: now + 60, type: 'response' }),
      fakeJwt({ iat: now, type: 'wrapping' }),
      fakeJwt({ iat: now, exp: 1e15, type: 'wrapping' }),
      'a'.repeat(5000),
      42,
    ]
    for (const bad of malformed) {
      const res = await inspect(app, { token: bad })
      expect(res.statusCode, String(bad).slice(0, 60)).toBe(400)
      const problem = res.json()
      expect(problem.code).toBe('CORE_ERR_VALIDATION')
      expect(new Set(problem.errors.map((e: { path: string }) => e.path))).toEqual(new Set(['body/token']))
      if (typeof bad === 'string' && bad.length > 20) expect(res.body).not.toContain(bad)
    }

    const unknown = await inspect(app, { token, primary_api_adr: primary.apiUrl })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors.map((e: { path: string }) => e.path)).toEqual(['body/primary_api_adr'])
    expect(unknown.body).not.toContain(token)

    const badAddr = await inspect(app, { token, primary_api_addr: 'ftp://127.0.0.1:8200' })
    expect(badAddr.statusCode).toBe(400)
    expect(badAddr.json().errors[0].path).toBe('body/primary_api_addr')
    expect(badAddr.body).not.toContain(token)

    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/tokens/inspect',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: `{"token": "${token}"`,
    })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.body).not.toContain(token)

    const textPlain = await app.inject({
      method: 'POST',
      url: '/v1/tokens/inspect',
      headers: { ...AUTH, 'content-type': 'text/plain' },
      payload: token,
    })
    expect(textPlain.statusCode).toBe(415)

    const huge = await inspect(app, { token, ca_pem: `-----BEGIN CERTIFICATE-----${'A'.repeat(70_000)}` })
    expect(huge.statusCode).toBe(413)
    expect(huge.json().code).toBe('CORE_ERR_BODY_TOO_LARGE')

    expect(logs.text).not.toContain(token)
    // The token is still unused after all that.
    expect((await inspect(app, { token })).json().lookup.valid).toBe(true)
  })
})
