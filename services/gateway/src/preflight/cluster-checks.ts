import type { CodedError } from '@vault-dr/core'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { LocalClusterProbe } from '../agents/agent-types.ts'
import type { Check } from './preflight.schemas.ts'

type Phase = Check['phase']

/** A check that could not run because an agent call failed. */
export function agentFailure(name: string, source: Check['source'], err: CodedError, phase: Phase): Check {
  return {
    name,
    status: 'fail',
    code: err.upstream?.code ?? err.code,
    detail: err.message,
    fix: err.fix ?? null,
    source,
    phase,
    latency_ms: null,
  }
}

function localCheck(local: LocalClusterProbe, phase: Phase): Check {
  const c = local.cluster
  const where = c.address ?? local.advertised.cluster_addr ?? '(no cluster address)'
  const base = { name: 'primary_cluster_listener', source: 'primary-agent' as const, phase, latency_ms: c.latency_ms }
  if (c.dr_alpn) return { ...base, status: 'pass', code: c.code, detail: `${where}: ${c.detail}`, fix: null }
  // Vault's own listener refuses the DR protocol until DR primary is enabled: expected before, a fault after.
  if (c.reachable && c.code === 'DR_NOT_ENABLED' && phase === 'preflight') {
    return {
      ...base,
      status: 'pass',
      code: c.code,
      detail: `${where}: ${c.detail}; enable_primary turns it on`,
      fix: null,
    }
  }
  return {
    ...base,
    status: 'fail',
    code: c.code,
    detail: `${where}: ${c.detail}`,
    fix: c.fix ?? 'Check that Vault listens on its cluster address (cluster_addr, port 8201), advertised correctly.',
  }
}

export interface ClusterProbeOutcome {
  checks: Check[]
  /** The primary does not serve DR on 8201 yet, so the fingerprint comparison must be repeated after enabling. */
  needsRecheck: boolean
}

/**
 * The primary checks its own cluster listener, then the secondary probes the primary's advertised API and cluster
 * addresses from its network, comparing the certificate fingerprint the primary sees with the one it gets.
 */
export async function clusterChecks(
  primary: PrimaryAgentClient,
  secondary: SecondaryAgentClient,
  phase: Phase,
  opts: {
    expectedClusterId?: string | null | undefined
    signal?: AbortSignal | undefined
    /** The primary's self-check, when the caller started it already. */
    local?: Promise<LocalClusterProbe>
  } = {},
): Promise<ClusterProbeOutcome> {
  const { signal } = opts
  let local: LocalClusterProbe
  try {
    local = await (opts.local ?? primary.probeLocal(signal))
  } catch (err) {
    signal?.throwIfAborted()
    return {
      checks: [agentFailure('primary_cluster_listener', 'primary-agent', err as CodedError, phase)],
      needsRecheck: false,
    }
  }
  const checks = [localCheck(local, phase)]
  const { api_addr: apiAddr, cluster_addr: clusterAddr } = local.advertised
  if (!apiAddr || !clusterAddr) {
    checks.push({
      name: 'primary_advertised',
      status: 'fail',
      code: 'NO_ADVERTISED_ADDR',
      detail: `the primary advertises api_addr ${apiAddr ?? '(none)'} and cluster_addr ${clusterAddr ?? '(none)'}`,
      fix: 'Set api_addr and cluster_addr in the primary Vault configuration to addresses the secondary can reach.',
      source: 'primary-agent',
      phase,
      latency_ms: null,
    })
    return { checks, needsRecheck: false }
  }
  const fingerprint = local.cluster.fingerprint_sha256
  try {
    const probe = await secondary.probePrimary(
      {
        api_addr: apiAddr,
        cluster_addrs: [clusterAddr],
        ...(fingerprint ? { expected_fingerprint: fingerprint } : {}),
        ...(opts.expectedClusterId ? { expected_cluster_id: opts.expectedClusterId } : {}),
      },
      signal,
    )
    const probed = probe.checks.map((c): Check => {
      // Once DR is enabled the primary must serve it: not doing so is no longer a warning.
      const late = phase === 'post_enable' && c.code === 'DR_NOT_ENABLED'
      return {
        ...c,
        status: late ? 'fail' : c.status,
        fix: c.fix ?? null,
        source: 'secondary-agent',
        phase,
        latency_ms: c.latency_ms ?? null,
      }
    })
    checks.push(...probed)
  } catch (err) {
    signal?.throwIfAborted()
    checks.push(agentFailure('secondary_probe', 'secondary-agent', err as CodedError, phase))
  }
  const needsRecheck =
    !local.cluster.dr_alpn ||
    fingerprint === null ||
    checks.some((c) => c.code === 'DR_NOT_ENABLED' || c.code === 'FINGERPRINT_NOT_COMPARED')
  return { checks, needsRecheck }
}
