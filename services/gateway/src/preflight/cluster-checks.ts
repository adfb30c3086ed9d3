import { type CodedError, sameClusterAddress } from '@vault-dr/core'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { LocalClusterProbe } from '../agents/agent-types.ts'
import { diagnosisCode } from '../agents/diagnosis-code.ts'
import type { Check } from './preflight.schemas.ts'

type Phase = Check['phase']

/** A check that could not run because an agent call failed. */
export function agentFailure(name: string, source: Check['source'], err: CodedError, phase: Phase): Check {
  return {
    name,
    status: 'fail',
    code: diagnosisCode(err),
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
    /**
     * The primary's primary_cluster_addr (its DR status), when set: the address it hands to secondaries, which they
     * dial first (often a load balancer). Probed too, before a token exists.
     */
    primaryClusterAddr?: string | null | undefined
    /** Where the secondary unwraps, when not at the primary's advertised api_addr: probed instead of it. */
    primaryApiAddr?: string | null | undefined
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
  const clusterAddr = local.advertised.cluster_addr
  const apiAddr = opts.primaryApiAddr || local.advertised.api_addr
  if (!apiAddr || !clusterAddr) {
    const missing = [apiAddr ? null : 'api_addr', clusterAddr ? null : 'cluster_addr'].filter((m) => m !== null)
    checks.push({
      name: 'primary_advertised',
      status: 'fail',
      code: 'NO_ADVERTISED_ADDR',
      detail: `the primary advertises no ${missing.join(' and no ')} (sys/leader)`,
      fix: `Set ${missing.join(' and ')} in the primary Vault configuration to ${missing.length > 1 ? 'addresses' : 'an address'} the secondary can reach${apiAddr ? '' : ', or pass primary_api_addr'}.`,
      source: 'primary-agent',
      phase,
      latency_ms: null,
    })
    return { checks, needsRecheck: false }
  }
  // The certificate the primary's own listener presents: an address in layer-4 passthrough to the active node
  // (primary_cluster_addr on a TCP load balancer) presents the same one, a TLS-terminating box its own.
  const fingerprint = local.cluster.fingerprint_sha256
  const targets = dialTargets(opts.primaryClusterAddr, clusterAddr)
  // Once DR is on (enabled, or the primary's own listener serves it) every address must serve it: one that refuses
  // reaches a standby or another cluster, and activation would fail after spending the token.
  const servesDr = phase === 'post_enable' || local.cluster.dr_alpn
  try {
    const probe = await secondary.probePrimary(
      {
        api_addr: apiAddr,
        cluster_addrs: targets.map((t) => t.address),
        ...(fingerprint ? { expected_fingerprint: fingerprint } : {}),
        ...(opts.expectedClusterId ? { expected_cluster_id: opts.expectedClusterId } : {}),
      },
      signal,
    )
    const probed = probe.checks.map((c): Check => {
      const target = targets.length > 1 ? targetOfCheck(c.name, targets) : undefined
      const late = servesDr && c.code === 'DR_NOT_ENABLED'
      return {
        ...c,
        status: late ? 'fail' : c.status,
        detail: target === undefined ? c.detail : `${target.role} ${target.address}: ${c.detail}`,
        fix: late && local.cluster.dr_alpn ? refusedFix(target) : (c.fix ?? null),
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

interface DialTarget {
  role: 'primary_cluster_addr' | 'cluster_addr'
  address: string
}

/**
 * Where a secondary will dial the primary's cluster port: primary_cluster_addr first (Vault hands it to secondaries
 * in the bootstrap package), then the active node's cluster_addr (sys/leader), which it follows later. One entry when
 * both are the same host and port.
 */
function dialTargets(primaryClusterAddr: string | null | undefined, clusterAddr: string): DialTarget[] {
  const node: DialTarget = { role: 'cluster_addr', address: clusterAddr }
  if (!primaryClusterAddr) return [node]
  // Vault ignores the scheme of a cluster address and accepts none ("10.0.0.1:8201"); the probe wants a URL.
  const address = /^[a-z][a-z\d+.-]*:\/\//i.test(primaryClusterAddr)
    ? primaryClusterAddr
    : `https://${primaryClusterAddr}`
  if (sameClusterAddress(address, clusterAddr)) return [node]
  return [{ role: 'primary_cluster_addr', address }, node]
}

/** The address a probe check of several addresses is about: cluster_tls[0] is the first one. */
function targetOfCheck(name: string, targets: DialTarget[]): DialTarget | undefined {
  const index = /^cluster_\w+\[(\d+)\]$/.exec(name)?.[1]
  return index === undefined ? undefined : targets[Number(index)]
}

function refusedFix(target: DialTarget | undefined): string {
  const what = target?.role === 'primary_cluster_addr' ? `primary_cluster_addr ${target.address}` : 'This address'
  return `${what} refused DR replication although the primary serves it: it reaches a standby node or another cluster. Point it at the active node, or have the load balancer (TCP passthrough) health-check /v1/sys/health so only the active node, which answers 200, gets traffic.`
}
