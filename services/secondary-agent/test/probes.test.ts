import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { normalizeFingerprint } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { type Agent, AUTH, enablePrimary, health, metricValue, useHarness } from './helpers/harness.ts'
import { closedPort, hostPortOf, startBlackHole, startTcpProxy, startTlsTerminatingProxy } from './helpers/net.ts'

interface Check {
  name: string
  target: string
  status: 'pass' | 'warn' | 'fail'
  code: string
  detail: string
  fix: string | null
  latency_ms: number
}

async function probe(app: Agent, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/probes/primary', headers: AUTH, payload: body })
  expect(res.statusCode).toBe(200)
  const result = res.json() as { ok: boolean; timeout_ms: number; checks: Check[] }
  const byName = (name: string) => {
    const found = result.checks.find((c) => c.name === name)
    if (found === undefined) throw new Error(`no check ${name} in ${result.checks.map((c) => c.name).join(', ')}`)
    return found
  }
  return { ...result, byName, names: result.checks.map((c) => c.name) }
}

const fingerprintOf = (cluster: ClusterHandle) => normalizeFingerprint(cluster.clusterCertFingerprint256)

describe('POST /v1/probes/primary (probePrimary)', () => {
  const h = useHarness()

  /**
   * A DR primary serving its API over TLS, and an agent next to a (future) secondary, whose Vault activation gives
   * the primary's CA (VAULT_DR_ACTIVATION_CA_FILE; vault-sim runs on this machine, so the path is the same for both).
   */
  async function primaryAndAgent(options: { probeTimeoutMs?: number } = {}) {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const dir = await mkdtemp(join(tmpdir(), 'probe-activation-ca-'))
    h.defer(() => rm(dir, { recursive: true, force: true }))
    const activationCaFile = join(dir, 'primary-ca.pem')
    await writeFile(activationCaFile, primary.apiCaPem as string)
    const { app } = await h.agent(secondary, { ...options, activationCaFile })
    return { primary, app }
  }

  it('passes every check against a DR primary, with its fingerprint and cluster id', async () => {
    const { primary, app } = await primaryAndAgent()
    const clusterId = ((await health(primary)).body as Record<string, unknown>).cluster_id as string
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl],
      // Colon-separated upper case, as node and openssl print it: normalized by the agent.
      expected_fingerprint: primary.clusterCertFingerprint256,
      expected_cluster_id: clusterId,
      ca_pem: primary.apiCaPem,
    })
    expect(result.names).toEqual([
      'api_tcp',
      'api_tls',
      'activation_ca',
      'api_vault',
      'cluster_tcp',
      'cluster_tls',
      'cluster_fingerprint',
    ])
    for (const c of result.checks) expect(c, c.name).toMatchObject({ status: 'pass', code: 'OK', fix: null })
    expect(result.ok).toBe(true)
    expect(result.byName('cluster_tls').detail).toContain('replication_dr_v1')
    expect(result.byName('cluster_fingerprint').detail).toContain(fingerprintOf(primary))

    // Each check is counted in the agent's metrics.
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(
      metricValue(metrics, 'vault_dr_probe_checks_total', { check: 'cluster_tls', status: 'pass', code: 'OK' }),
    ).toBe(1)
  })

  it('probes the cluster addresses alone when no api_addr is given (the primary nodes a secondary follows)', async () => {
    const { primary, app } = await primaryAndAgent()
    const result = await probe(app, {
      cluster_addrs: [primary.clusterUrl, `https://127.0.0.1:${await closedPort()}`],
      expected_fingerprint: primary.clusterCertFingerprint256,
    })
    expect(result.names).toEqual(['cluster_tcp[0]', 'cluster_tls[0]', 'cluster_fingerprint[0]', 'cluster_tcp[1]'])
    expect(result.byName('cluster_tls[0]').status).toBe('pass')
    expect(result.byName('cluster_tcp[1]')).toMatchObject({ status: 'fail', code: 'CONNECTION_REFUSED' })
    expect(result.ok).toBe(false)
  })

  it('takes the primary CA from VAULT_DR_PRIMARY_CACERT, and fails TLS_UNTRUSTED without it', async () => {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const withCa = await h.agent(primary, { primaryCaPem: primary.apiCaPem as string })
    const trusted = await probe(withCa.app, { api_addr: primary.apiUrl, cluster_addrs: [primary.clusterUrl] })
    expect(trusted.byName('api_tls').code).toBe('OK')

    const withoutCa = await h.agent(primary)
    const untrusted = await probe(withoutCa.app, { api_addr: primary.apiUrl, cluster_addrs: [primary.clusterUrl] })
    expect(untrusted.ok).toBe(false)
    expect(untrusted.byName('api_tls')).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' })
    expect(untrusted.byName('api_tls').fix).toMatch(/CA/)
    // api_vault depends on a trusted channel: left out after the failure.
    expect(untrusted.names).not.toContain('api_vault')
    // Without expected_fingerprint the comparison is a warning, not a pass.
    expect(untrusted.byName('cluster_fingerprint')).toMatchObject({ status: 'warn', code: 'FINGERPRINT_NOT_COMPARED' })
  })

  it('flags a TLS-terminating proxy on the cluster port as TLS_TERMINATED', async () => {
    const { primary, app } = await primaryAndAgent()
    const proxy = await startTlsTerminatingProxy(hostPortOf(primary.clusterUrl))
    h.defer(proxy.close)
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [proxy.url],
      expected_fingerprint: fingerprintOf(primary),
      ca_pem: primary.apiCaPem,
    })
    expect(result.ok).toBe(false)
    expect(result.byName('cluster_tcp').status).toBe('pass')
    const tls = result.byName('cluster_tls')
    expect(tls).toMatchObject({ status: 'fail', code: 'TLS_TERMINATED' })
    expect(tls.detail).toContain('TLS is terminated between the clusters')
    expect(tls.fix).toContain('TLS is terminated between the clusters: configure TCP passthrough on 8201')
    expect(result.byName('cluster_fingerprint')).toMatchObject({ status: 'fail', code: 'TLS_TERMINATED' })
  })

  it('passes through a layer-4 TCP proxy with the same fingerprint', async () => {
    const { primary, app } = await primaryAndAgent()
    const proxy = await startTcpProxy(hostPortOf(primary.clusterUrl))
    h.defer(proxy.close)
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl, proxy.url],
      expected_fingerprint: fingerprintOf(primary),
      ca_pem: primary.apiCaPem,
    })
    expect(result.ok).toBe(true)
    // Several cluster addresses: every cluster check is indexed.
    expect(result.names.slice(4)).toEqual([
      'cluster_tcp[0]',
      'cluster_tls[0]',
      'cluster_fingerprint[0]',
      'cluster_tcp[1]',
      'cluster_tls[1]',
      'cluster_fingerprint[1]',
    ])
    expect(result.byName('cluster_tls[1]')).toMatchObject({
      status: 'pass',
      code: 'OK',
      target: `127.0.0.1:${proxy.port}`,
    })
    expect(result.byName('cluster_fingerprint[1]')).toMatchObject({ status: 'pass', code: 'OK' })
  })

  it('tells a closed cluster port (CONNECTION_REFUSED) from a closed API port', async () => {
    const { primary, app } = await primaryAndAgent()
    await primary.faults.closeClusterListener()
    const closedCluster = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl],
      ca_pem: primary.apiCaPem,
    })
    expect(closedCluster.byName('api_vault').code).toBe('OK')
    expect(closedCluster.byName('cluster_tcp')).toMatchObject({ status: 'fail', code: 'CONNECTION_REFUSED' })
    expect(closedCluster.byName('cluster_tcp').fix).toMatch(/cluster_addr/)
    expect(closedCluster.names).toEqual(['api_tcp', 'api_tls', 'activation_ca', 'api_vault', 'cluster_tcp'])

    const port = await closedPort()
    const closedApi = await probe(app, { api_addr: `https://127.0.0.1:${port}`, cluster_addrs: [primary.clusterUrl] })
    expect(closedApi.byName('api_tcp')).toMatchObject({ status: 'fail', code: 'CONNECTION_REFUSED' })
    expect(closedApi.names.filter((n) => n.startsWith('api_'))).toEqual(['api_tcp'])
  })

  it('reports a black-holed address as TIMEOUT within the deadline', async () => {
    const { app } = await primaryAndAgent()
    const hole = await startBlackHole()
    h.defer(hole.close)
    const started = performance.now()
    const result = await probe(app, { api_addr: hole.url, cluster_addrs: [hole.url], timeout_ms: 300 })
    const elapsed = performance.now() - started
    expect(result.timeout_ms).toBe(300)
    expect(result.byName('api_tcp').code).toBe('OK')
    expect(result.byName('api_tls')).toMatchObject({ status: 'fail', code: 'TIMEOUT' })
    expect(result.byName('cluster_tls')).toMatchObject({ status: 'fail', code: 'TIMEOUT' })
    expect(result.byName('cluster_tls').latency_ms).toBeGreaterThanOrEqual(290)
    expect(result.byName('cluster_tls').latency_ms).toBeLessThan(5_000)
    // Each step has its own deadline: a black hole costs about timeout_ms per step, not the default timeout.
    expect(elapsed).toBeLessThan(5_000)
  })

  it('fails PRIMARY_SEALED on a sealed primary', async () => {
    const { primary, app } = await primaryAndAgent()
    primary.faults.seal()
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl],
      ca_pem: primary.apiCaPem,
    })
    expect(result.ok).toBe(false)
    expect(result.byName('api_vault')).toMatchObject({ status: 'fail', code: 'PRIMARY_SEALED' })
  })

  it('fails NOT_ENTERPRISE on a Community Edition Vault', async () => {
    const { primary, app } = await primaryAndAgent()
    primary.faults.setEnterprise(false)
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl],
      ca_pem: primary.apiCaPem,
    })
    expect(result.byName('api_vault')).toMatchObject({ status: 'fail', code: 'NOT_ENTERPRISE' })
  })

  it('fails WRONG_CLUSTER when the address reaches another cluster than expected', async () => {
    const { primary, app } = await primaryAndAgent()
    const result = await probe(app, {
      api_addr: primary.apiUrl,
      cluster_addrs: [primary.clusterUrl],
      expected_cluster_id: 'not-this-cluster',
      ca_pem: primary.apiCaPem,
    })
    expect(result.byName('api_vault')).toMatchObject({ status: 'fail', code: 'WRONG_CLUSTER' })
  })

  it('warns DR_NOT_ENABLED on a cluster that is not a DR primary yet, and API_NOT_TLS on http', async () => {
    const notYet = await h.cluster()
    const { app } = await h.agent(notYet)
    const result = await probe(app, { api_addr: notYet.apiUrl, cluster_addrs: [notYet.clusterUrl] })
    expect(result.byName('api_tls')).toMatchObject({ status: 'warn', code: 'API_NOT_TLS' })
    expect(result.byName('api_vault')).toMatchObject({ status: 'warn', code: 'DR_NOT_ENABLED' })
    expect(result.byName('cluster_tls')).toMatchObject({ status: 'warn', code: 'DR_NOT_ENABLED' })
    // No certificate was shown, so nothing to compare.
    expect(result.names).not.toContain('cluster_fingerprint')
    expect(result.ok).toBe(true)
  })

  it('refuses bad input with 400 naming the field', async () => {
    const cluster = await h.cluster()
    const { app } = await h.agent(cluster)
    const good = { api_addr: 'https://127.0.0.1:8200', cluster_addrs: ['https://127.0.0.1:8201'] }
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...good, api_addr: 'ftp://127.0.0.1:8200' }, 'body/api_addr'],
      [{ ...good, api_addr: 'https://127.0.0.1:8200/v1/sys' }, 'body/api_addr'],
      [{ ...good, api_addr: 'https://127.0.0.1:0' }, 'body/api_addr'],
      [{ ...good, api_addr: 'https://127.0.0.1:99999' }, 'body/api_addr'],
      [{ ...good, api_addr: 'https://user:pw@127.0.0.1:8200' }, 'body/api_addr'],
      [{ ...good, api_addr: 'https://127.0.0.1:8200?x=1' }, 'body/api_addr'],
      [{ ...good, cluster_addrs: ['127.0.0.1:8201'] }, 'body/cluster_addrs/0'],
      [{ ...good, cluster_addrs: ['https://127.0.0.1:8201', 'tcp://127.0.0.1:8201'] }, 'body/cluster_addrs/1'],
      [{ ...good, cluster_addrs: [] }, 'body/cluster_addrs'],
      [{ ...good, cluster_addrs: Array.from({ length: 9 }, () => 'https://127.0.0.1:8201') }, 'body/cluster_addrs'],
      [{ ...good, expected_fingerprint: 'abc' }, 'body/expected_fingerprint'],
      [{ ...good, timeout_ms: 50 }, 'body/timeout_ms'],
      [{ ...good, timeout_ms: 60_000 }, 'body/timeout_ms'],
      [{ ...good, ca_pem: 'not a pem' }, 'body/ca_pem'],
      [{ ...good, expected_fingerprnt: 'ab'.repeat(32) }, 'body/expected_fingerprnt'],
      [{ ...good, timeout: 500 }, 'body/timeout'],
    ]
    for (const [payload, field] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/probes/primary', headers: AUTH, payload })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      const problem = res.json()
      expect(problem.code).toBe('CORE_ERR_VALIDATION')
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field)
    }
    // Defaults: no port means 8200 / 8201, and nothing is probed for invalid input.
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).not.toMatch(/^vault_dr_probe_checks_total\{/m)
  })
})
