import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../../test/helpers/app.ts'
import { Problem } from '../problem.ts'
import type { App } from './create-server.ts'

let app: App
let created = 0
beforeAll(async () => {
  ;({ app } = await buildTestApp({ rateLimit: { max: 3, windowMs: 60_000 } }))
  app.get('/v1/status', async () => ({ ok: true }))
  app.addHook('onResponse', (_request, reply, done) => {
    if (reply.statusCode === 201) created++
    done()
  })
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

const createThing = (remoteAddress: string, headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'POST', url: '/v1/things', headers, payload: { name: 'abc', count: 1 }, remoteAddress })

describe('rate limits on /v1', () => {
  it('answer 429 problem+json with Retry-After once an address used its budget for a route, without running it', async () => {
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await createThing('10.0.0.1'))
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 429])
    const limited = answers[3]
    expect(limited?.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(Problem.parse(limited?.json())).toMatchObject({ status: 429, code: 'CORE_ERR_RATE_LIMITED' })
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0)
    expect(created).toBe(3)
    expect(answers[0]?.headers['x-ratelimit-remaining']).toBeUndefined()
  })

  it('count each address and each route on its own', async () => {
    for (let i = 0; i < 4; i++) await createThing('10.0.0.2')
    expect((await createThing('10.0.0.3')).statusCode).toBe(201)
    const other = await app.inject({ method: 'GET', url: '/v1/things/abc', headers: AUTH, remoteAddress: '10.0.0.2' })
    expect(other.statusCode).toBe(200)
  })

  it('do not count a request refused for want of the token', async () => {
    for (let i = 0; i < 5; i++) expect((await createThing('10.0.0.4', {})).statusCode).toBe(401)
    expect((await createThing('10.0.0.4')).statusCode).toBe(201)
  })

  it('leave status reads, health, readiness and metrics alone', async () => {
    for (let i = 0; i < 10; i++) {
      for (const url of ['/v1/status', '/healthz', '/readyz', '/metrics']) {
        const res = await app.inject({ method: 'GET', url, headers: AUTH, remoteAddress: '10.0.0.5' })
        expect(res.statusCode, url).toBe(200)
      }
    }
  })

  it('are documented: a 429 answer on each limited route of the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.paths['/v1/things'].post.responses['429'].content['application/problem+json']).toBeDefined()
    expect(doc.paths['/v1/things'].post.responses['429'].headers['Retry-After'].schema).toEqual({
      type: 'integer',
      minimum: 0,
    })
    expect(doc.paths['/healthz'].get.responses['429']).toBeUndefined()
  })
})
