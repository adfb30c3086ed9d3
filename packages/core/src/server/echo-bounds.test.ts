import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp, type LogCapture } from '../../test/helpers/app.ts'
import { Problem } from '../problem.ts'
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

const postStrict = (extra: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/v1/strict-things', headers: AUTH, payload: { name: 'abc', count: 1, ...extra } })

function expectShortLogs() {
  expect(logs.lines.length).toBeGreaterThan(0)
  for (const line of logs.lines) expect(JSON.stringify(line).length).toBeLessThan(2_500)
}

describe('what a caller sent, echoed in an error', () => {
  it('is cut with a marker when an unknown field name is long, in the answer and in the logs', async () => {
    const key = `k${'x'.repeat(60_000)}`
    const res = await postStrict({ [key]: 1 })
    expect(res.statusCode).toBe(400)
    expect(res.body.length).toBeLessThan(2_000)
    const problem = Problem.parse(res.json())
    expect(problem.errors).toHaveLength(1)
    const [error] = problem.errors ?? []
    expect(error?.path).toMatch(/^body\/kx+…\[\d+ more characters\]$/)
    expect(error?.message).toMatch(/^Unrecognized key: "kx+…\[\d+ more characters\]"$/)
    expect(problem.detail).toContain(error?.path)
    expectShortLogs()
  })

  it('lists a bounded number of fields when there are thousands, and says how many more', async () => {
    const extra = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`unknown_${i}`, 1]))
    const res = await postStrict(extra)
    expect(res.statusCode).toBe(400)
    expect(res.body.length).toBeLessThan(4_000)
    const problem = Problem.parse(res.json())
    expect(problem.errors?.length).toBeLessThanOrEqual(20)
    expect(problem.errors?.[0]).toEqual({ path: 'body/unknown_0', message: 'Unrecognized key: "unknown_0"' })
    expect(problem.detail).toMatch(/and 2\d{3} more/)
    expectShortLogs()
  })

  it('says of each field what is wrong with it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/strict-things',
      headers: AUTH,
      payload: { name: 5, colour: 'red' },
    })
    const problem = Problem.parse(res.json())
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body/colour', 'body/count', 'body/name'])
    const parts = problem.detail.replace(/^Invalid /, '').split('; ')
    expect(parts.sort()).toEqual(
      [
        'body/colour: Unrecognized key: "colour"',
        'body/count: Invalid input: expected number, received undefined',
        'body/name: Invalid input: expected string, received number',
      ].sort(),
    )
  })

  it('still names every field of an ordinary mistake', async () => {
    const res = await postStrict({ tll: '5m', colour: 'red' })
    const problem = Problem.parse(res.json())
    expect(problem.errors?.map((e) => e.path)).toEqual(['body/tll', 'body/colour'])
    expect(problem.detail).toBe('Invalid body/tll, body/colour: Unrecognized keys: "tll", "colour"')
  })

  it('is cut in the answer to, and the log line of, a request for a long unknown path', async () => {
    const res = await app.inject({ method: 'GET', url: `/nowhere/${'p'.repeat(10_000)}` })
    expect(res.statusCode).toBe(404)
    expect(res.body.length).toBeLessThan(3_000)
    expectShortLogs()
  })
})
