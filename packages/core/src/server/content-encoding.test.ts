import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'

let app: App
let created = 0
beforeAll(async () => {
  ;({ app } = await buildTestApp())
  app.addHook('onResponse', (_request, reply, done) => {
    if (reply.statusCode === 201) created++
    done()
  })
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

const json = JSON.stringify({ name: 'abc', count: 1 })
const post = (payload: string | Buffer, headers: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: '/v1/things',
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  })

describe('Content-Encoding on a request body', () => {
  it.each([
    ['gzip on a plain body', 'gzip', json],
    ['gzip on a gzipped body', 'gzip', gzipSync(json)],
    ['br', 'br', json],
    ['identity then gzip', 'identity, gzip', json],
    ['an unknown coding', 'x-unknown', json],
  ])('refuses %s with 415 problem+json, before the handler runs', async (_, coding, payload) => {
    const before = created
    const res = await post(payload, { ...AUTH, 'content-encoding': coding })
    expect(res.statusCode).toBe(415)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['accept-encoding']).toBe('identity')
    expect(res.json()).toMatchObject({
      code: 'CORE_ERR_UNSUPPORTED_MEDIA_TYPE',
      fix: expect.stringMatching(/uncompressed/),
    })
    expect(created).toBe(before)
  })

  it.each(['identity', 'IDENTITY', ''])('accepts a body with Content-Encoding %j', async (coding) => {
    const res = await post(json, { ...AUTH, 'content-encoding': coding })
    expect(res.statusCode).toBe(201)
  })

  it('ignores the header on a request without a body', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/things/abc',
      headers: { ...AUTH, 'content-encoding': 'gzip' },
    })
    expect(res.statusCode).toBe(200)
  })

  it('answers a caller without the token 401 first', async () => {
    const res = await post(json, { 'content-encoding': 'gzip' })
    expect(res.statusCode).toBe(401)
  })
})
