import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_TOKEN, AUTH, buildTestApp } from '../../test/helpers/app.ts'
import { bearerMatches } from './auth.ts'
import type { App } from './create-server.ts'

describe('bearerMatches', () => {
  const token = 'the-right-token-123456'

  it('accepts the right token, whatever the case of the scheme', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true)
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true)
    expect(bearerMatches(`BEARER ${token}`, token)).toBe(true)
  })

  it('refuses a wrong, shorter, longer or differently cased token', () => {
    expect(bearerMatches('Bearer the-wrong-token-12345', token)).toBe(false)
    expect(bearerMatches('Bearer short', token)).toBe(false)
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false)
    expect(bearerMatches(`Bearer ${token.toUpperCase()}`, token)).toBe(false)
  })

  it('refuses a missing header, another scheme and a malformed one', () => {
    expect(bearerMatches(undefined, token)).toBe(false)
    expect(bearerMatches('', token)).toBe(false)
    expect(bearerMatches(token, token)).toBe(false)
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false)
    expect(bearerMatches(`Bearer  ${token}`, token)).toBe(false)
    expect(bearerMatches(`Bearer${token}`, token)).toBe(false)
    expect(bearerMatches('Bearer ', token)).toBe(false)
  })

  it('takes the expected token as its UTF-8 bytes too', () => {
    const expected = Buffer.from(token, 'utf8')
    expect(bearerMatches(`Bearer ${token}`, expected)).toBe(true)
    expect(bearerMatches('Bearer the-wrong-token-12345', expected)).toBe(false)
    expect(bearerMatches(undefined, expected)).toBe(false)
  })

  it('never matches an empty token, even against an empty expectation', () => {
    expect(bearerMatches('Bearer ', '')).toBe(false)
    expect(bearerMatches(undefined, '')).toBe(false)
  })
})

describe('bearer auth on /v1', () => {
  let app: App
  const thing = { name: 'abc', count: 2 }

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
  })

  const post = (headers: Record<string, string>, url = '/v1/things') =>
    app.inject({ method: 'POST', url, headers, payload: thing })

  it('answers 401 CORE_ERR_UNAUTHORIZED as problem+json without a token', async () => {
    const res = await post({})
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({
      status: 401,
      code: 'CORE_ERR_UNAUTHORIZED',
      instance: res.headers['x-request-id'],
    })
    expect(res.json().fix).toContain('VAULT_DR_API_TOKEN')
  })

  it('accepts the token however "Bearer" is spelled, and refuses one differing in a non-ASCII character', async () => {
    expect((await post({ authorization: `Bearer ${API_TOKEN}` })).statusCode).toBe(201)
    expect((await post({ authorization: `bearer ${API_TOKEN}` })).statusCode).toBe(201)
    expect((await post({ authorization: `BEARER ${API_TOKEN}` })).statusCode).toBe(201)
    // Same length, last character outside latin1 whose low byte is the token's last one: encoded as latin1 it would
    // equal the token byte for byte, so only the ASCII guard tells it apart.
    const lookalike = String.fromCharCode(0x100 + API_TOKEN.charCodeAt(API_TOKEN.length - 1))
    expect(Buffer.from(lookalike, 'latin1')).toEqual(Buffer.from(API_TOKEN.slice(-1), 'latin1'))
    const accented = `Bearer ${API_TOKEN.slice(0, -1)}${lookalike}`
    expect(accented).toHaveLength(`Bearer ${API_TOKEN}`.length)
    expect((await post({ authorization: accented })).statusCode).toBe(401)
  })

  it('answers 401 to a wrong token, and to one of a different length', async () => {
    const wrong = API_TOKEN.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'))
    expect(wrong).toHaveLength(API_TOKEN.length)
    expect((await post({ authorization: `Bearer ${wrong}` })).statusCode).toBe(401)
    expect((await post({ authorization: `Bearer ${API_TOKEN}-and-more` })).statusCode).toBe(401)
    expect((await post({ authorization: 'Bearer x' })).statusCode).toBe(401)
    expect((await post({ authorization: `Basic ${API_TOKEN}` })).statusCode).toBe(401)
    expect((await post({ 'x-api-token': API_TOKEN })).statusCode).toBe(401)
  })

  it('lets the right token through, with the scheme in any case', async () => {
    const res = await post(AUTH)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({ id: 'thing-abc', ...thing })
    expect((await post({ authorization: `bearer ${API_TOKEN}` })).statusCode).toBe(201)
    expect((await post({ authorization: `BEARER ${API_TOKEN}` })).statusCode).toBe(201)
  })

  it('checks the token before validating the body', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'NOT VALID' } })
    expect(res.json().code).toBe('CORE_ERR_UNAUTHORIZED')
  })

  it('guards unknown /v1 paths and a query string too', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/unknown' })).statusCode).toBe(401)
    expect((await app.inject({ method: 'GET', url: '/v1' })).statusCode).toBe(401)
    expect((await post({}, '/v1/things?debug=1')).statusCode).toBe(401)
  })

  it('cannot be bypassed by percent-encoding the path', async () => {
    // The router decodes %76 to "v" and serves /v1/things; the token check must see the same route.
    const res = await post({}, '/%761/things')
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('CORE_ERR_UNAUTHORIZED')
    expect((await post(AUTH, '/%761/things')).statusCode).toBe(201)
  })

  it('leaves health, readiness, metrics and docs open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
      const res = await app.inject({ method: 'GET', url })
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 })
    }
    // A path that only starts with "v1" is not under /v1.
    expect((await app.inject({ method: 'GET', url: '/v10/things' })).statusCode).toBe(404)
  })
})

describe('a read-only token beside the API token', () => {
  const READ_TOKEN = 'test-read-token-9876543210'
  const READ = { authorization: `Bearer ${READ_TOKEN}` }
  let app: App

  beforeAll(async () => {
    ;({ app } = await buildTestApp({ readOnlyToken: { variable: 'VAULT_DR_READ_TOKEN', value: READ_TOKEN } }))
    app.post('/v1/things/plan', { config: { readsOnly: true } }, async () => ({ would: 'create' }))
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
  })

  it('reads (GET, and a POST that changes nothing) but is refused with 403 naming its variable anything else', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/things/abc', headers: READ })).statusCode).toBe(200)
    expect((await app.inject({ method: 'HEAD', url: '/v1/things/abc', headers: READ })).statusCode).toBe(200)
    expect((await app.inject({ method: 'POST', url: '/v1/things/plan', headers: READ })).statusCode).toBe(200)
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: READ,
      payload: { name: 'a', count: 1 },
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(refused.json()).toMatchObject({
      code: 'CORE_ERR_READ_ONLY_TOKEN',
      detail: expect.stringContaining('VAULT_DR_READ_TOKEN'),
      fix: expect.stringContaining('VAULT_DR_API_TOKEN'),
    })
    // Refused before the body is read: a bad body gets the same 403, not a validation error.
    const bad = await app.inject({ method: 'POST', url: '/v1/things', headers: READ, payload: { name: 1 } })
    expect(bad.json().code).toBe('CORE_ERR_READ_ONLY_TOKEN')
  })

  it('leaves the API token its every route, and answers 401 to a token that is neither', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: AUTH,
      payload: { name: 'a', count: 1 },
    })
    expect(created.statusCode).toBe(201)
    const wrong = { authorization: `Bearer ${READ_TOKEN.replace(/.$/, 'x')}` }
    expect((await app.inject({ method: 'GET', url: '/v1/things/abc', headers: wrong })).statusCode).toBe(401)
  })

  it('documents the 403 on every /v1 route that changes something, and only there', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.paths['/v1/things'].post.responses['403']).toBeDefined()
    expect(doc.paths['/v1/things/plan'].post.responses['403']).toBeUndefined()
    expect(doc.paths['/v1/things/{name}'].get.responses?.['403']).toBeUndefined()
    expect(doc.components.securitySchemes.bearerAuth.description).toContain('VAULT_DR_READ_TOKEN')
  })

  it('is not accepted when its variable is unset, though the 403 is still documented', async () => {
    const { app: without } = await buildTestApp({
      readOnlyToken: { variable: 'VAULT_DR_READ_TOKEN', value: undefined },
    })
    await without.ready()
    expect((await without.inject({ method: 'GET', url: '/v1/things/abc', headers: READ })).statusCode).toBe(401)
    const doc = (await without.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.paths['/v1/things'].post.responses['403']).toBeDefined()
    await without.close()
  })
})
