import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { API_TOKEN, AUTH, buildTestApp, type LogCapture } from '../../test/helpers/app.ts'
import { CoreErrors } from '../core-errors.ts'
import { CodedError } from '../errors.ts'
import { Problem, type ProblemDetails, problemType } from '../problem.ts'
import type { App } from './create-server.ts'
import { invalidFields, toCodedError, toProblem } from './error-handler.ts'

let app: App
let logs: LogCapture

beforeAll(async () => {
  ;({ app, logs } = await buildTestApp({ bodyLimit: 1024 }))
  await app.ready()
})
afterAll(async () => {
  await app.close()
})
beforeEach(() => {
  logs.clear()
})

/** Checks the problem+json shape every error shares and returns the parsed problem. */
function problemOf(res: LightMyRequestResponse, status: number, code: string): ProblemDetails {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = Problem.parse(res.json())
  expect(body).toMatchObject({ status, code, type: problemType(code) })
  expect(body.title).not.toBe('')
  expect(body.detail).not.toBe('')
  const requestId = res.headers['x-request-id']
  expect(typeof requestId).toBe('string')
  expect(body.instance).toBe(requestId)
  return body
}

function postThings(payload: string, contentType = 'application/json') {
  return app.inject({
    method: 'POST',
    url: '/v1/things',
    headers: { ...AUTH, 'content-type': contentType },
    payload,
  })
}

/** A 4xx is the client's mistake: logged below error level, and never with a stack. */
function expectQuietLogs() {
  const lines = logs.lines
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) {
    expect(line.level).toBeLessThan(50)
    expect(JSON.stringify(line)).not.toMatch(/"stack"|\n\s+at /)
  }
}

describe('problem+json for bad input', () => {
  it('answers an unknown route with 404 CORE_ERR_ROUTE_NOT_FOUND', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere?x=1' })
    const problem = problemOf(res, 404, 'CORE_ERR_ROUTE_NOT_FOUND')
    expect(problem.detail).toBe('No route GET /nowhere')
    const underV1 = await app.inject({ method: 'DELETE', url: '/v1/nowhere', headers: AUTH })
    problemOf(underV1, 404, 'CORE_ERR_ROUTE_NOT_FOUND')
    expectQuietLogs()
  })

  it('answers a malformed percent-encoding in the path with a 400 problem, before routing', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/things/%E0%A4%A', headers: AUTH })
    const problem = problemOf(res, 400, 'CORE_ERR_BAD_REQUEST')
    expect(problem.detail).toMatch(/URL/i)
    expectQuietLogs()
  })

  it('answers malformed JSON with 400 CORE_ERR_MALFORMED_BODY', async () => {
    const problem = problemOf(await postThings('{"name": "abc",'), 400, 'CORE_ERR_MALFORMED_BODY')
    expect(problem.fix).toBe('Send a well-formed JSON body.')
    problemOf(await postThings(''), 400, 'CORE_ERR_MALFORMED_BODY')
    expectQuietLogs()
  })

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])(
    'answers content type %s with 415 CORE_ERR_UNSUPPORTED_MEDIA_TYPE',
    async (contentType) => {
      const res = await postThings(contentType === 'application/xml' ? '<thing/>' : 'name=abc', contentType)
      const problem = problemOf(res, 415, 'CORE_ERR_UNSUPPORTED_MEDIA_TYPE')
      expect(problem.fix).toBe('Send the body as application/json.')
      expectQuietLogs()
    },
  )

  it('answers a body over bodyLimit with 413 CORE_ERR_BODY_TOO_LARGE', async () => {
    const res = await postThings(JSON.stringify({ name: 'a'.repeat(2000), count: 1 }))
    problemOf(res, 413, 'CORE_ERR_BODY_TOO_LARGE')
    expectQuietLogs()
  })

  it('answers a body that fails its schema with 400 CORE_ERR_VALIDATION naming each field', async () => {
    const res = await postThings(JSON.stringify({ name: 'Not Lower', count: 1.5 }))
    const problem = problemOf(res, 400, 'CORE_ERR_VALIDATION')
    expect(problem.detail).toContain('body/name')
    expect(problem.detail).toContain('body/count')
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body/count', 'body/name'])
    for (const error of problem.errors ?? []) expect(error.message).not.toBe('')
    expectQuietLogs()
  })

  it('names a single wrong field only', async () => {
    const problem = problemOf(await postThings(JSON.stringify({ name: 'abc', count: 'x' })), 400, 'CORE_ERR_VALIDATION')
    expect(problem.errors).toEqual([{ path: 'body/count', message: expect.any(String) }])
    expect(problem.detail).not.toContain('body/name')
  })

  it('answers a missing token with a 401 problem too', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'abc', count: 1 } })
    problemOf(res, 401, 'CORE_ERR_UNAUTHORIZED')
    expectQuietLogs()
    expect(logs.text).not.toContain(API_TOKEN)
  })

  it('uses a safe x-request-id from the client as the instance, and replaces an unsafe one', async () => {
    const safe = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'req-123.abc_X' } })
    expect(problemOf(safe, 404, 'CORE_ERR_ROUTE_NOT_FOUND').instance).toBe('req-123.abc_X')

    const unsafe = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'a b"<script>' } })
    const instance = problemOf(unsafe, 404, 'CORE_ERR_ROUTE_NOT_FOUND').instance
    expect(instance).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('gives each request its own id', async () => {
    const a = await app.inject({ method: 'GET', url: '/nowhere' })
    const b = await app.inject({ method: 'GET', url: '/nowhere' })
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id'])
  })
})

describe('errors a handler throws', () => {
  it('turns a plain Error into 500 CORE_ERR_INTERNAL without leaking its message', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/boom', headers: AUTH })
    const problem = problemOf(res, 500, 'CORE_ERR_INTERNAL')
    expect(res.body).not.toContain('hunter2')
    expect(res.body).not.toContain('database')
    expect(problem.fix).toContain('request id')

    // The operator still finds the cause in the log, under the same request id.
    const errorLines = logs.lines.filter((l) => l.level >= 50)
    expect(errorLines).toHaveLength(1)
    expect(errorLines[0]).toMatchObject({ reqId: problem.instance, code: 'CORE_ERR_INTERNAL' })
    expect(String(errorLines[0]?.cause)).toContain('hunter2')
  })

  it('keeps the code, status, fix and upstream of a CodedError', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/teapot', headers: AUTH })
    const problem = problemOf(res, 418, 'TEST_ERR_TEAPOT')
    expect(problem).toMatchObject({
      title: 'I am a teapot',
      detail: 'The pot only makes tea.',
      fix: 'Ask a coffee pot.',
      upstream: { service: 'kettle', status: 418, errors: ['short'] },
    })
    expect(problem.errors).toBeUndefined()
    expectQuietLogs()
  })

  it('answers a response that does not match its schema with 500 and logs it as a bug', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/wrong-shape', headers: AUTH })
    problemOf(res, 500, 'CORE_ERR_INTERNAL')
    expect(logs.lines.some((l) => l.level >= 50 && l.msg === 'response did not match its schema (a bug)')).toBe(true)
  })
})

describe('toCodedError and toProblem', () => {
  it('passes a CodedError through unchanged', () => {
    const err = CoreErrors.conflict('Already running.')
    expect(toCodedError(err)).toBe(err)
  })

  it('maps a Fastify 4xx it does not know to CORE_ERR_BAD_REQUEST, and anything else to CORE_ERR_INTERNAL', () => {
    const fourxx = Object.assign(new Error('Bad header'), { statusCode: 400, code: 'FST_SOMETHING' })
    expect(toCodedError(fourxx)).toMatchObject({ code: 'CORE_ERR_BAD_REQUEST', statusCode: 400, message: 'Bad header' })
    const thrownString = toCodedError('oops')
    expect(thrownString).toBeInstanceOf(CodedError)
    expect(thrownString).toMatchObject({ code: 'CORE_ERR_INTERNAL', statusCode: 500 })
    expect(thrownString.message).not.toContain('oops')
  })

  it('builds a problem with only the members that apply', () => {
    const problem = toProblem(CoreErrors.notFound('No thing 7.'), 'req-1')
    expect(problem).toEqual({
      type: 'https://vault-dr.dev/problems/core-err-not-found',
      title: 'Not found',
      status: 404,
      detail: 'No thing 7.',
      code: 'CORE_ERR_NOT_FOUND',
      instance: 'req-1',
    })
  })

  it('lists the fields a coded error names with invalidFields, whatever its code', () => {
    const err = CoreErrors.conflict('primary and secondary are both dc1', {
      cause: invalidFields({ path: 'body/secondary', message: 'names the same cluster as body/primary' }),
    })
    expect(toProblem(err, 'req-1').errors).toEqual([
      { path: 'body/secondary', message: 'names the same cluster as body/primary' },
    ])
  })
})
