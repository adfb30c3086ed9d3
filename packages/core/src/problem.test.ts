import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../test/helpers/app.ts'
import { openApiGaps } from './openapi/openapi-gaps.ts'
import { PROBLEM_CONTENT_TYPE, Problem } from './problem.ts'
import type { App } from './server/create-server.ts'

let app: App
beforeAll(async () => {
  ;({ app } = await buildTestApp({ bodyLimit: 1024 }))
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/strict-things',
    headers: { ...AUTH, 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  })

describe('problem responses in OpenAPI and on the wire', () => {
  it('documents each problem status as application/problem+json, and a success as application/json', () => {
    const responses = app.swagger().paths?.['/v1/strict-things']?.post?.responses as Record<
      string,
      { description: string; content: Record<string, unknown> }
    >
    expect(Object.keys(responses).sort()).toEqual(['201', '400', '401', '409', '413', '415', '429', '500'])
    for (const status of ['400', '401', '409', '413', '415', '429', '500']) {
      expect(Object.keys(responses[status]?.content ?? {})).toEqual([PROBLEM_CONTENT_TYPE])
      expect(responses[status]?.content[PROBLEM_CONTENT_TYPE]).toEqual({
        schema: { $ref: '#/components/schemas/Problem' },
      })
      expect(responses[status]?.description).not.toBe('Default Response')
    }
    expect(Object.keys(responses['201']?.content ?? {})).toEqual(['application/json'])
    expect(openApiGaps({ paths: { '/v1/strict-things': app.swagger().paths?.['/v1/strict-things'] } })).toEqual([])
  })

  it('still serializes successes through the schema, and sends each documented problem as problem+json', async () => {
    const created = await post({ name: 'abc', count: 2 })
    expect(created.statusCode).toBe(201)
    expect(created.headers['content-type']).toMatch(/^application\/json/)
    expect(created.json()).toEqual({ id: 'thing-abc', name: 'abc', count: 1 })

    const answers = [
      [await post({ name: 'taken', count: 1 }), 409],
      [await post({ name: 'abc', count: 1, bogus: 1 }), 400],
      [await post({ name: 'abc', count: 1 }, { 'content-type': 'text/plain' }), 415],
      [await post({ name: 'x'.repeat(2000), count: 1 }), 413],
      [await app.inject({ method: 'POST', url: '/v1/strict-things', payload: {} }), 401],
    ] as const
    for (const [res, status] of answers) {
      expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
      })
      expect(Problem.parse(res.json()).status).toBe(status)
    }
  })

  it('names an unknown field by its own path, also inside an object', async () => {
    const res = await post({ name: 'abc', count: 1, tll: '1h', tags: { colour: 'red', size: 3 } })
    expect(res.statusCode).toBe(400)
    const problem = Problem.parse(res.json())
    expect(problem.code).toBe('CORE_ERR_VALIDATION')
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body/tags/size', 'body/tll'])
    expect(problem.errors?.find((e) => e.path === 'body/tll')?.message).toContain('"tll"')
    expect(problem.detail).toContain('body/tll')
  })
})

describe('openApiGaps', () => {
  const problem = (type: string) => ({ content: { [type]: { schema: { $ref: '#/components/schemas/Problem' } } } })
  const ok = { content: { 'application/json': { schema: {} } } }

  it('finds a missing operationId, a Problem under application/json, and undocumented errors', () => {
    const doc = {
      paths: {
        '/v1/a': {
          post: {
            requestBody: {},
            responses: { 200: ok, 400: problem('application/json'), 401: problem(PROBLEM_CONTENT_TYPE), 409: ok },
          },
        },
        '/healthz': { get: { operationId: 'getLiveness', responses: { 200: ok, 503: ok } } },
      },
    }
    expect(openApiGaps(doc)).toEqual([
      'POST /v1/a: no operationId',
      'POST /v1/a: 400 documents Problem as application/json, not application/problem+json',
      'POST /v1/a: 409 is not a Problem',
      'POST /v1/a: 500 is not documented',
      'POST /v1/a: 413 is not documented',
      'POST /v1/a: 415 is not documented',
    ])
  })

  it('finds nothing in a complete document', () => {
    const p = problem(PROBLEM_CONTENT_TYPE)
    const doc = {
      paths: {
        '/v1/a': {
          get: { operationId: 'getA', responses: { 200: ok, 400: p, 401: p, 500: p } },
          post: {
            operationId: 'postA',
            requestBody: {},
            responses: { 200: ok, 400: p, 401: p, 413: p, 415: p, 500: p },
          },
        },
      },
    }
    expect(openApiGaps(doc)).toEqual([])
  })
})
