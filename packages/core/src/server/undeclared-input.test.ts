import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'

describe('a route that declares no body', () => {
  let app: App
  let acted = 0
  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    app.post('/v1/things/rotate', async () => {
      acted++
      return { rotated: true }
    })
    app.delete('/v1/things/:name', async () => {
      acted++
      return { deleted: true }
    })
    await app.ready()
  })
  afterAll(() => app.close())

  const send = (method: 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { ...AUTH, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    })

  it('acts on no body, and on an empty object', async () => {
    expect((await send('POST', '/v1/things/rotate')).statusCode).toBe(200)
    expect((await send('POST', '/v1/things/rotate', {})).statusCode).toBe(200)
    expect((await send('DELETE', '/v1/things/abc')).statusCode).toBe(200)
    expect(acted).toBe(3)
  })

  it('refuses any other body with 400 naming its fields, and does not act', async () => {
    acted = 0
    const res = await send('POST', '/v1/things/rotate', { ttl: '1s', force: true })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      code: 'CORE_ERR_VALIDATION',
      detail: 'Invalid body/ttl, body/force: this route takes no body',
      errors: [
        { path: 'body/ttl', message: 'this route takes no body' },
        { path: 'body/force', message: 'this route takes no body' },
      ],
    })
    for (const payload of [[1], 'text', 5, null]) {
      const other = await send('DELETE', '/v1/things/abc', payload)
      expect(other.statusCode, JSON.stringify(payload)).toBe(400)
      expect(other.json().errors).toEqual([{ path: 'body', message: 'this route takes no body' }])
    }
    expect(acted).toBe(0)
  })

  it('names at most five fields, each at most 64 characters', async () => {
    const body = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`${'k'.repeat(100)}${i}`, i]))
    const res = await send('POST', '/v1/things/rotate', body)
    expect(res.json().errors).toHaveLength(5)
    expect(res.json().detail).toMatch(/ and 3 more: this route takes no body$/)
    expect(res.body.length).toBeLessThan(2_000)
  })
})

describe('an API route that declares no query parameters', () => {
  let app: App
  let acted = 0
  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    app.get('/v1/things', { schema: { operationId: 'listThings' } }, async () => {
      acted++
      return { things: [] }
    })
    app.get('/plain', async () => {
      acted++
      return 'ok'
    })
    app.get('/probe', { schema: { operationId: 'getProbe' } }, async () => {
      acted++
      return 'ok'
    })
    await app.ready()
  })
  afterAll(() => app.close())

  const get = (url: string) => app.inject({ method: 'GET', url, headers: AUTH })

  it('acts without any', async () => {
    expect((await get('/v1/things')).statusCode).toBe(200)
    expect(acted).toBe(1)
  })

  it('refuses any with 400 naming them, and does not act', async () => {
    acted = 0
    const res = await get('/v1/things?zzz=1&limit=5')
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({
      code: 'CORE_ERR_VALIDATION',
      detail: 'Invalid querystring/zzz, querystring/limit: this route takes no query parameters',
      errors: [
        { path: 'querystring/zzz', message: 'this route takes no query parameters' },
        { path: 'querystring/limit', message: 'this route takes no query parameters' },
      ],
    })
    expect(acted).toBe(0)
  })

  it('leaves routes outside /v1 alone (pages, assets, health and metrics probes)', async () => {
    acted = 0
    expect((await get('/plain?v=3')).statusCode).toBe(200)
    expect((await get('/probe?standbyok=true')).statusCode).toBe(200)
    expect(acted).toBe(2)
  })
})
