import { describe, expect, it } from 'vitest'
import { AUTH, metricValue, useHarness } from './helpers/harness.ts'
import { startVaultGate } from './helpers/net.ts'

describe('GET /v1/status (getSecondaryStatus)', () => {
  const h = useHarness()

  it('reports a cluster with DR disabled, and needs the bearer token', async () => {
    const cluster = await h.cluster()
    const { app } = await h.agent(cluster)

    const res = await app.inject({ method: 'GET', url: '/v1/status', headers: AUTH })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.vault).toMatchObject({ reachable: true, health_code: 200, sealed: false, enterprise: true })
    expect(body.replication).toMatchObject({ mode: 'disabled', state: null, secondary_id: null, primaries: [] })

    const anonymous = await app.inject({ method: 'GET', url: '/v1/status' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['content-type']).toContain('application/problem+json')
    expect(anonymous.json().code).toBe('CORE_ERR_UNAUTHORIZED')
    const wrong = await app.inject({ method: 'GET', url: '/v1/status', headers: { authorization: 'Bearer nope' } })
    expect(wrong.statusCode).toBe(401)
  })

  it('shares one Vault read among concurrent callers (single flight)', async () => {
    const cluster = await h.cluster()
    // The gate holds the first sys/health read open until every caller has asked: no reliance on latency.
    const gate = await startVaultGate(cluster.apiUrl, '/v1/sys/health')
    h.defer(gate.close)
    const { app } = await h.agent({ ...cluster, apiUrl: gate.url })
    const healthCalls = async () =>
      metricValue(
        (await app.inject({ method: 'GET', url: '/metrics' })).body,
        'vault_dr_vault_call_duration_seconds_count',
        {
          path: 'sys/health',
        },
      )
    const before = await healthCalls()

    const pending = Promise.all(
      Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/v1/status', headers: AUTH })),
    )
    // The 20 requests reach the agent's handler in this turn, in memory; the read reaches the gate over a socket,
    // later: by then every caller waits on it.
    await gate.arrived(1)
    gate.open()
    const answers = await pending
    expect(answers.map((r) => r.statusCode)).toEqual(Array(20).fill(200))
    expect(gate.arrivals).toBe(1)
    expect((await healthCalls()) - before).toBe(1)
  })

  it('reports an unreachable Vault as reachable: false, and readiness as not ready', async () => {
    const cluster = await h.cluster()
    const { app } = await h.agent(cluster)
    await cluster.faults.stop()

    const res = await app.inject({ method: 'GET', url: '/v1/status', headers: AUTH })
    expect(res.statusCode).toBe(200)
    expect(res.json().vault).toMatchObject({ reachable: false, health_code: null })
    expect(res.json().replication).toBeNull()
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
  })
})
