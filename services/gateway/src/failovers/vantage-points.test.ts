import { describe, expect, it } from 'vitest'
import type { ProbePrimaryResult } from '../agents/agent-types.ts'
import { secondaryAgentView } from './vantage-points.ts'

type Check = ProbePrimaryResult['checks'][number]
const check = (name: string, status: Check['status'], code: string, target = '10.0.0.1:8200'): Check =>
  ({ name, target, status, code, detail: `${name} ${code}`, fix: null, latency_ms: 1 }) as Check
const probe = (...checks: Check[]) => ({ value: { ok: false, timeout_ms: 2_000, checks } })

describe("the DR site's vantage point (the secondary agent's probe of the primary)", () => {
  it('sees a primary whose host accepts TCP but whose Vault answers nothing (hung, paused) as out of reach', () => {
    const view = secondaryAgentView(
      probe(
        check('api_tcp', 'pass', 'OK'),
        check('api_tls', 'warn', 'API_NOT_TLS'),
        check('api_vault', 'fail', 'TIMEOUT'),
        check('cluster_tcp', 'pass', 'OK', '10.0.0.1:8201'),
        check('cluster_tls', 'fail', 'TIMEOUT', '10.0.0.1:8201'),
      ),
    )
    expect(view).toMatchObject({ point: 'secondary_agent', reaches: false })
    expect(view.detail).toBe(
      'the DR site cannot reach the primary: 10.0.0.1:8200 TIMEOUT, 10.0.0.1:8201 TIMEOUT (TCP connects, nothing answers)',
    )
  })

  it('sees one that refuses every connection as out of reach', () => {
    const view = secondaryAgentView(
      probe(check('api_tcp', 'fail', 'CONNECTION_REFUSED'), check('cluster_tcp', 'fail', 'CONNECTION_REFUSED')),
    )
    expect(view.reaches).toBe(false)
  })

  it('sees it reached when anything answers: its API, or a cluster port that answers wrongly', () => {
    const api = secondaryAgentView(
      probe(check('api_tcp', 'pass', 'OK'), check('api_vault', 'pass', 'OK'), check('cluster_tls', 'fail', 'TIMEOUT')),
    )
    expect(api.reaches).toBe(true)
    const terminated = secondaryAgentView(
      probe(check('api_vault', 'fail', 'TIMEOUT'), check('cluster_tls', 'fail', 'TLS_TERMINATED', '10.0.0.1:8201')),
    )
    expect(terminated).toMatchObject({
      reaches: true,
      detail: 'the DR site reaches the primary (TIMEOUT, TLS_TERMINATED)',
    })
  })
})
