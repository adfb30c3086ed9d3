import { isCodedError } from '../../errors.ts'
import { classifyNetworkError } from '../../probes/classify-network-error.ts'
import { probeTls } from '../../probes/tls-probe.ts'
import { DEFAULT_API_PORT } from '../../replication/vault-address.ts'
import { HEALTH_ANSWERS } from '../../replication/vault-health.ts'
import { VaultClient } from '../../vault/vault-client.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { activationTrustCheck } from './activation-trust.ts'
import { networkCode, networkFix, untrustedFix } from './diagnoses.ts'
import { check, type Target, targetOf, tcpCheck } from './probe-checks.ts'
import type { ProbeCheck, ProbeCode } from './probes.schemas.ts'

export async function probeApi(
  address: string,
  opts: {
    timeoutMs: number
    caPem: string | undefined
    expectedClusterId: string | undefined
    /** The ca_file activation gives the secondary's Vault (VAULT_DR_ACTIVATION_CA_FILE); undefined: its system roots. */
    activationCaFile: string | undefined
  },
): Promise<ProbeCheck[]> {
  const target = targetOf(address, DEFAULT_API_PORT, 'api', opts.timeoutMs)
  const checks = [await tcpCheck('api_tcp', target)]
  if (checks[0]?.status === 'fail') return checks

  if (new URL(address).protocol === 'https:') {
    const tls = await apiTlsCheck(target, opts.caPem)
    checks.push(tls)
    if (tls.status === 'fail') return checks
    checks.push(await activationTrustCheck(target, opts.activationCaFile))
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
    const res = await client.read('sys/health', { token: null, accept: HEALTH_ANSWERS })
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
