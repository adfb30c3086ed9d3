import {
  type AgentMetrics,
  classifyNetworkError,
  DR_REPLICATION_ALPN,
  isCodedError,
  normalizeFingerprint,
  parseVaultAddress,
  probeTcp,
  probeTls,
  VaultClient,
  VaultErrors,
} from '@vault-dr/core'
import { DEFAULT_API_PORT, DEFAULT_CLUSTER_PORT } from '../shared/inputs.ts'
import {
  clusterHandshakeFix,
  type FixContext,
  networkCode,
  networkFix,
  TLS_TERMINATED_FIX,
  untrustedFix,
} from './diagnoses.ts'
import type { ProbeCheck, ProbeCode, ProbePrimaryRequest, ProbePrimaryResult } from './probes.schemas.ts'

export interface ProbesServiceDeps {
  metrics: AgentMetrics
  /** Default deadline of each network step. */
  probeTimeoutMs: number
  /** Default CA for the primary's API certificate (VAULT_DR_PRIMARY_CACERT). */
  primaryCaPem: string | undefined
}

export interface ProbesService {
  probePrimary(request: ProbePrimaryRequest): Promise<ProbePrimaryResult>
}

/** Every status sys/health uses to describe a node: answers, not failures. */
const HEALTH_STATUSES = [429, 472, 473, 474, 501, 503, 530] as const

interface Target extends FixContext {
  label: string
}

const round = (ms: number) => Math.round(ms * 10) / 10

function check(
  name: string,
  target: Target,
  status: ProbeCheck['status'],
  code: ProbeCode,
  detail: string,
  fix: string | null,
  latencyMs: number,
): ProbeCheck {
  return { name, target: target.label, status, code, detail, fix, latency_ms: round(latencyMs) }
}

/**
 * Checks, from the secondary's network, what activation will need of the primary: its API (unwrap over 8200) and
 * each cluster address (bootstrap and streaming over 8201, mutual TLS with ALPN replication_dr_v1, which no
 * TLS-terminating middlebox can pass). Each step has its own deadline; a check that depends on a failed one is
 * left out, so the first failure on each path is the one reported.
 */
export function createProbesService(deps: ProbesServiceDeps): ProbesService {
  return {
    async probePrimary(request) {
      const timeoutMs = request.timeout_ms ?? deps.probeTimeoutMs
      const caPem = request.ca_pem ?? deps.primaryCaPem
      const expectedFingerprint =
        request.expected_fingerprint === undefined ? undefined : normalizeFingerprint(request.expected_fingerprint)
      const many = request.cluster_addrs.length > 1
      const [apiChecks, ...clusterChecks] = await Promise.all([
        probeApi(request.api_addr, { timeoutMs, caPem, expectedClusterId: request.expected_cluster_id }),
        ...request.cluster_addrs.map((address, i) =>
          probeClusterAddress(address, many ? `[${i}]` : '', { timeoutMs, expectedFingerprint }),
        ),
      ])
      const checks = [...apiChecks, ...clusterChecks.flat()]
      for (const c of checks) {
        deps.metrics.recordProbe({ name: c.name.replace(/\[\d+\]$/, ''), status: c.status, code: c.code })
      }
      return { ok: checks.every((c) => c.status !== 'fail'), timeout_ms: timeoutMs, checks }
    },
  }
}

function targetOf(address: string, defaultPort: number, side: Target['side'], timeoutMs: number): Target {
  const { host, port } = parseVaultAddress(address, defaultPort)
  return { side, host, port, timeoutMs, label: `${host.includes(':') ? `[${host}]` : host}:${port}` }
}

async function tcpCheck(name: string, target: Target): Promise<ProbeCheck> {
  const result = await probeTcp({ host: target.host, port: target.port, timeoutMs: target.timeoutMs })
  if (result.ok) return check(name, target, 'pass', 'OK', `connected to ${target.label}`, null, result.latency_ms)
  const code = networkCode(result.failure)
  const detail = `TCP connect to ${target.label} failed: ${result.failure.detail}`
  return check(name, target, 'fail', code, detail, networkFix(code, target), result.latency_ms)
}

async function probeApi(
  address: string,
  opts: { timeoutMs: number; caPem: string | undefined; expectedClusterId: string | undefined },
): Promise<ProbeCheck[]> {
  const target = targetOf(address, DEFAULT_API_PORT, 'api', opts.timeoutMs)
  const checks = [await tcpCheck('api_tcp', target)]
  if (checks[0]?.status === 'fail') return checks

  if (new URL(address).protocol === 'https:') {
    const tls = await apiTlsCheck(target, opts.caPem)
    checks.push(tls)
    if (tls.status === 'fail') return checks
  } else {
    checks.push(
      check(
        'api_tls',
        target,
        'warn',
        'API_NOT_TLS',
        `${address} is plain http: the activation token would cross the network unencrypted when the secondary unwraps it`,
        "Serve the primary's API over TLS and use an https:// address.",
        0,
      ),
    )
  }
  checks.push(await apiVaultCheck(address, target, opts))
  return checks
}

async function apiTlsCheck(target: Target, caPem: string | undefined): Promise<ProbeCheck> {
  const result = await probeTls({ host: target.host, port: target.port, timeoutMs: target.timeoutMs, caPem })
  if (!result.ok) {
    const code = networkCode(result.failure)
    const fix =
      code === 'TLS_HANDSHAKE_FAILED'
        ? `The TLS handshake with ${target.label} failed: if the listener serves plain HTTP use http://, otherwise check its TLS settings (versions, ciphers, certificate).`
        : networkFix(code, target)
    const detail = `TLS handshake with ${target.label} failed: ${result.failure.detail}`
    return check('api_tls', target, 'fail', code, detail, fix, result.latency_ms)
  }
  if (!result.authorized) {
    const reason = result.authorization_error ?? 'unknown reason'
    return check(
      'api_tls',
      target,
      'fail',
      'TLS_UNTRUSTED',
      `the certificate of ${target.label} (CN ${result.subject || '-'}) does not verify: ${reason}`,
      untrustedFix(reason, target.host),
      result.latency_ms,
    )
  }
  return check(
    'api_tls',
    target,
    'pass',
    'OK',
    `certificate CN ${result.subject || '-'} verified for ${target.host}`,
    null,
    result.latency_ms,
  )
}

async function apiVaultCheck(
  address: string,
  target: Target,
  opts: { timeoutMs: number; caPem: string | undefined; expectedClusterId: string | undefined },
): Promise<ProbeCheck> {
  const started = performance.now()
  const client = new VaultClient({ addr: address, caPem: opts.caPem, timeoutMs: opts.timeoutMs, retries: 0 })
  const done = (status: ProbeCheck['status'], code: ProbeCode, detail: string, fix: string | null) =>
    check('api_vault', target, status, code, detail, fix, performance.now() - started)
  try {
    const res = await client.read('sys/health', { token: null, accept: HEALTH_STATUSES })
    const h = (res.body ?? {}) as Record<string, unknown>
    if (typeof h.initialized !== 'boolean' || typeof h.sealed !== 'boolean') {
      return done(
        'fail',
        'NOT_VAULT',
        `GET /v1/sys/health answered ${res.status} without Vault's health fields`,
        notVaultFix(target),
      )
    }
    const version = typeof h.version === 'string' ? h.version : 'unknown version'
    if (!h.initialized || res.status === 501) {
      return done(
        'fail',
        'PRIMARY_NOT_INITIALIZED',
        `Vault ${version} is not initialized`,
        'Initialize the primary (vault operator init), unseal it and enable DR primary.',
      )
    }
    if (h.sealed || res.status === 503) {
      return done(
        'fail',
        'PRIMARY_SEALED',
        `Vault ${version} is sealed`,
        'Unseal the primary (vault operator unseal), then probe again.',
      )
    }
    const enterprise = typeof h.enterprise === 'boolean' ? h.enterprise : /\+(ent|prem)/.test(version)
    if (!enterprise) {
      return done(
        'fail',
        'NOT_ENTERPRISE',
        `Vault ${version} is not Vault Enterprise`,
        'DR replication needs Vault Enterprise with a license that includes it: this address reaches a Community Edition Vault.',
      )
    }
    const clusterId = typeof h.cluster_id === 'string' ? h.cluster_id : null
    const clusterName = typeof h.cluster_name === 'string' ? h.cluster_name : '-'
    if (opts.expectedClusterId !== undefined && clusterId !== opts.expectedClusterId) {
      return done(
        'fail',
        'WRONG_CLUSTER',
        `the address reaches cluster ${clusterId ?? 'with no id'} (${clusterName}), not ${opts.expectedClusterId}`,
        'Point api_addr at the intended primary; a load balancer or DNS name may lead to another cluster.',
      )
    }
    const drMode = typeof h.replication_dr_mode === 'string' ? h.replication_dr_mode : null
    if (res.status === 472 || drMode === 'secondary' || drMode === 'bootstrapping') {
      return done(
        'fail',
        'PRIMARY_IS_SECONDARY',
        `the address reaches a DR secondary (${clusterName}, DR mode ${drMode ?? 'secondary'})`,
        'Point api_addr at the DR primary; after a failover the promoted cluster is the primary.',
      )
    }
    const about = `Vault ${version}, cluster ${clusterName} (${clusterId ?? '-'})`
    if (drMode !== null && drMode !== 'primary') {
      return done(
        'warn',
        'DR_NOT_ENABLED',
        `${about} is not a DR primary yet (DR mode ${drMode})`,
        'Enable DR primary on it (sys/replication/dr/primary/enable); the gateway re-checks after enabling.',
      )
    }
    if (res.status === 429 || res.status === 473 || h.standby === true) {
      return done(
        'warn',
        'PRIMARY_STANDBY',
        `${about} answered as a standby node (${res.status})`,
        'Requests are forwarded to the active node, but prefer its address, or a load balancer that health-checks /v1/sys/health so only the active node gets traffic.',
      )
    }
    return done('pass', 'OK', `${about}, DR mode ${drMode ?? 'unknown'}`, null)
  } catch (err) {
    return vaultCallFailure(err, target, new URL(address).protocol === 'http:', done)
  } finally {
    await client.close()
  }
}

function notVaultFix(target: Target): string {
  return `${target.label} answers, but not as Vault: check the port (8200 by default) and whether a proxy or another service sits there.`
}

function vaultCallFailure(
  err: unknown,
  target: Target,
  plainHttp: boolean,
  done: (status: ProbeCheck['status'], code: ProbeCode, detail: string, fix: string | null) => ProbeCheck,
): ProbeCheck {
  const detail = err instanceof Error ? err.message : String(err)
  if (isCodedError(err)) {
    if (err.code === VaultErrors.timeout.code) return done('fail', 'TIMEOUT', detail, networkFix('TIMEOUT', target))
    if (err.code === VaultErrors.tls.code) {
      return done('fail', 'TLS_UNTRUSTED', detail, untrustedFix(err.upstream?.code ?? '', target.host))
    }
    if (err.code === VaultErrors.unreachable.code) {
      const code = networkCode(classifyNetworkError(err.cause))
      const tlsHint =
        code === 'CONNECTION_RESET' && plainHttp ? ` If the listener serves TLS, use https://${target.label}.` : ''
      return done('fail', code, detail, networkFix(code, target) + tlsHint)
    }
  }
  return done('fail', 'NOT_VAULT', detail, notVaultFix(target))
}

async function probeClusterAddress(
  address: string,
  suffix: string,
  opts: { timeoutMs: number; expectedFingerprint: string | undefined },
): Promise<ProbeCheck[]> {
  const target = targetOf(address, DEFAULT_CLUSTER_PORT, 'cluster', opts.timeoutMs)
  const tcp = await tcpCheck(`cluster_tcp${suffix}`, target)
  if (tcp.status === 'fail') return [tcp]

  const name = `cluster_tls${suffix}`
  const tls = await probeTls({
    host: target.host,
    port: target.port,
    timeoutMs: opts.timeoutMs,
    alpn: [DR_REPLICATION_ALPN],
    verify: false,
  })
  if (!tls.ok) {
    const code = networkCode(tls.failure)
    if (tls.failure.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
      return [
        tcp,
        check(
          name,
          target,
          'warn',
          'DR_NOT_ENABLED',
          `${target.label} refused ALPN ${DR_REPLICATION_ALPN} (no_application_protocol): a Vault cluster listener that does not serve DR replication yet`,
          'The primary is not a DR primary yet: enable DR primary on it (the gateway re-checks after enabling). If it is one, this address reaches a standby node or another cluster: point it at the active node.',
          tls.latency_ms,
        ),
      ]
    }
    return [
      tcp,
      check(name, target, 'fail', code, tls.failure.detail, clusterHandshakeFix(code, target), tls.latency_ms),
    ]
  }

  const seen = `certificate CN ${tls.subject || '-'}, sha256 ${tls.fingerprint_sha256}`
  const tlsCheck =
    tls.alpn === DR_REPLICATION_ALPN
      ? check(name, target, 'pass', 'OK', `negotiated ALPN ${DR_REPLICATION_ALPN}; ${seen}`, null, tls.latency_ms)
      : check(
          name,
          target,
          'fail',
          'TLS_TERMINATED',
          `TLS is terminated between the clusters: ${target.label} completed the handshake without negotiating ALPN ${DR_REPLICATION_ALPN} (it chose ${tls.alpn ?? 'none'}; ${seen}), which Vault's cluster listener never does`,
          TLS_TERMINATED_FIX,
          tls.latency_ms,
        )

  const fpName = `cluster_fingerprint${suffix}`
  const fingerprint =
    opts.expectedFingerprint === undefined
      ? check(
          fpName,
          target,
          'warn',
          'FINGERPRINT_NOT_COMPARED',
          `presented ${seen}; no expected_fingerprint to compare with`,
          "Pass expected_fingerprint (the primary agent reports its cluster certificate's SHA-256) so a middlebox presenting its own certificate is caught.",
          0,
        )
      : tls.fingerprint_sha256 === opts.expectedFingerprint
        ? check(fpName, target, 'pass', 'OK', `presented the primary's certificate (${seen})`, null, 0)
        : check(
            fpName,
            target,
            'fail',
            'TLS_TERMINATED',
            `TLS is terminated between the clusters: ${target.label} presented ${seen}, not the primary's certificate sha256 ${opts.expectedFingerprint} (a middlebox answers with its own certificate, or the address reaches another cluster)`,
            TLS_TERMINATED_FIX,
            0,
          )
  return [tcp, tlsCheck, fingerprint]
}
