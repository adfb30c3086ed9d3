import { describe, expect, it } from 'vitest'
import { AUTH, useHarness } from './helpers/harness.ts'

describe('GET /v1/status?max_age_ms', () => {
  const h = useHarness()

  it.each(['', '%20', '1e3', '0x10', '1.5', '-1', '60001', 'abc'])(
    'refuses %j with 400 naming querystring/max_age_ms',
    async (value) => {
      const { app } = await h.agent(await h.cluster())
      const res = await app.inject({ method: 'GET', url: `/v1/status?max_age_ms=${value}`, headers: AUTH })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({
        code: 'CORE_ERR_VALIDATION',
        errors: [{ path: 'querystring/max_age_ms', message: expect.any(String) }],
      })
    },
  )

  it('refuses the parameter given twice', async () => {
    const { app } = await h.agent(await h.cluster())
    const res = await app.inject({ method: 'GET', url: '/v1/status?max_age_ms=0&max_age_ms=5', headers: AUTH })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors).toEqual([{ path: 'querystring/max_age_ms', message: expect.any(String) }])
  })

  it('refuses an unknown parameter, naming it, rather than answer as if it were not there', async () => {
    const { app } = await h.agent(await h.cluster())
    const res = await app.inject({ method: 'GET', url: '/v1/status?max_age=0', headers: AUTH })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().detail).toContain('max_age')
  })

  it.each(['0', '500', '60000'])('takes %s', async (value) => {
    const { app } = await h.agent(await h.cluster())
    const res = await app.inject({ method: 'GET', url: `/v1/status?max_age_ms=${value}`, headers: AUTH })
    expect(res.statusCode, res.body).toBe(200)
  })
})
