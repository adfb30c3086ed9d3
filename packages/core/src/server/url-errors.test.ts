import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp, type LogCapture } from '../../test/helpers/app.ts'
import { Problem, type ProblemDetails } from '../problem.ts'
import type { App } from './create-server.ts'

let app: App
let logs: LogCapture
beforeAll(async () => {
  ;({ app, logs } = await buildTestApp())
  await app.ready()
})
afterAll(async () => {
  await app.close()
})
beforeEach(() => {
  logs.clear()
})

const MARKER = 'QSMARKER2'
const long = 'a'.repeat(150)
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

function problemOf(res: LightMyRequestResponse, status: number, code: string): ProblemDetails {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const problem = Problem.parse(res.json())
  expect(problem.code).toBe(code)
  return problem
}

/** Nothing of the query string is answered or logged, though the request was. */
function expectNoQueryEchoed(res: LightMyRequestResponse) {
  expect(JSON.stringify(res.headers) + res.body).not.toContain(MARKER)
  expect(logs.lines.length).toBeGreaterThan(0)
  expect(logs.text).not.toContain(MARKER)
}

describe('a URL the router cannot take', () => {
  it.each([
    ['a malformed percent-encoding', `/v1/things/%ZZ?token=${MARKER}`],
    ['an over-long path parameter', `/v1/things/${long}?token=${MARKER}`],
  ])('under /v1 without the token (%s) is 401, and nothing of its query is logged', async (_, url) => {
    const res = await get(url)
    problemOf(res, 401, 'CORE_ERR_UNAUTHORIZED')
    expectNoQueryEchoed(res)
  })

  it('with a malformed percent-encoding is 400 naming the path only', async () => {
    const res = await get(`/v1/things/%ZZ?token=${MARKER}`, AUTH)
    const problem = problemOf(res, 400, 'CORE_ERR_BAD_REQUEST')
    expect(problem.detail).toContain('/v1/things/%ZZ')
    expectNoQueryEchoed(res)
  })

  it('on an open route is 400 too, and its query is not echoed either', async () => {
    const res = await get(`/docs/%ZZ?token=${MARKER}`)
    problemOf(res, 400, 'CORE_ERR_BAD_REQUEST')
    expectNoQueryEchoed(res)
  })

  it('with an over-long path parameter names the parameter, and cuts what it echoes', async () => {
    const res = await get(`/v1/things/${'b'.repeat(5_000)}?token=${MARKER}`, AUTH)
    const problem = problemOf(res, 400, 'CORE_ERR_VALIDATION')
    expect(problem.errors).toEqual([{ path: 'params/name', message: 'Too long: at most 100 characters' }])
    expect(problem.detail).toContain('params/name')
    expect(res.body.length).toBeLessThan(2_000)
    expectNoQueryEchoed(res)
    expect(logs.text.length).toBeLessThan(2_000)
  })
})
