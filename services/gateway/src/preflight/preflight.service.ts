import type { CodedError } from '@vault-dr/core'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { SecondaryIdHistory } from '../store/store.ts'
import { agentFailure, clusterChecks } from './cluster-checks.ts'
import type { Check, PreflightResult } from './preflight.schemas.ts'
import { alreadyReplicating, statusChecks } from './status-checks.ts'
import { tokenCheck } from './token-checks.ts'

export interface PreflightOptions {
  skip: readonly string[]
  allowRepoint: boolean
  /** The DR secondary id the handshake mints for. */
  secondaryId: string
  /** What this gateway's handshakes did with that id: an unused id is revoked before minting only if one minted it. */
  idHistory: SecondaryIdHistory
  /** The primary_cluster_addr the primary is to be enabled with, when one is asked for. */
  primaryClusterAddr?: string | null | undefined
  /** Where the secondary reaches the primary's API, when not at its advertised api_addr. */
  primaryApiAddr?: string | null | undefined
}

export interface PreflightRun extends PreflightResult {
  /** Repeat the cluster-port checks after enable_primary, before any token is minted. */
  recheck_cluster: boolean
}

/** A skipped check is kept, with what it found, but never blocks. */
export function applySkips(checks: Check[], skip: readonly string[]): Check[] {
  // A probe of several cluster addresses suffixes its checks: cluster_tcp[1].
  return checks.map((c) =>
    skip.includes(c.name.replace(/\[\d+\]$/, ''))
      ? { ...c, status: 'skipped', detail: `skipped by request (found ${c.status}): ${c.detail}` }
      : c,
  )
}

export function checksPass(checks: Check[]): boolean {
  return checks.every((c) => c.status !== 'fail')
}

/**
 * Step 1 of a handshake, and the dry run: both agents and clusters healthy, roles and versions compatible, and the
 * primary reachable from the secondary's network on its API and cluster ports. Changes nothing anywhere.
 */
export async function runPreflight(
  primary: PrimaryAgentClient,
  secondary: SecondaryAgentClient,
  opts: PreflightOptions,
  signal?: AbortSignal,
): Promise<PreflightRun> {
  // The primary's self-check needs nothing from the statuses: it runs alongside them.
  const local = primary.probeLocal(signal)
  local.catch(() => {}) // awaited below, unless the statuses end preflight first
  // Checks before any change may share the agents' recent reads (VAULT_DR_STATUS_CACHE_MS; never one in transition):
  // a fleet preflighting at once then reads the primary's Vault once, not once per secondary.
  const [p, s, pToken, sToken] = await Promise.allSettled([
    primary.status(signal, { secondaryId: opts.secondaryId, fresh: false }),
    secondary.status(signal, { fresh: false }),
    // Each agent proves its Vault token can do its part before anything changes (a 403 halfway leaves a mess).
    primary.vaultToken(signal),
    secondary.vaultToken(signal),
  ])
  signal?.throwIfAborted()
  const checks: Check[] = []
  if (p.status === 'rejected')
    checks.push(agentFailure('primary_agent', 'gateway', p.reason as CodedError, 'preflight'))
  if (s.status === 'rejected') {
    checks.push(agentFailure('secondary_agent', 'gateway', s.reason as CodedError, 'preflight'))
  }
  if (p.status === 'rejected' || s.status === 'rejected') {
    return { ok: false, already_replicating: false, checks, recheck_cluster: false }
  }
  checks.push(...statusChecks(p.value, s.value, opts))
  const already = alreadyReplicating(p.value, s.value)
  if (!already) checks.push(...tokenCheck('primary', p.value, pToken), ...tokenCheck('secondary', s.value, sToken))
  let recheck = false
  // A pair that already replicates needs no probing to prove it can: the status says it does. Nor can a primary whose
  // Vault does not answer be probed: its addresses come from that Vault (primary_vault says why it is silent).
  if (!already && p.value.vault.reachable) {
    const cluster = await clusterChecks(primary, secondary, 'preflight', {
      expectedClusterId: p.value.vault.cluster_id,
      // The address asked for is probed before enabling; one that differs from the primary's own fails its check.
      primaryClusterAddr: opts.primaryClusterAddr ?? p.value.replication?.primary_cluster_addr,
      primaryApiAddr: opts.primaryApiAddr,
      signal,
      local,
    })
    checks.push(...cluster.checks)
    recheck = cluster.needsRecheck
  }
  const final = applySkips(checks, opts.skip)
  return { ok: checksPass(final), already_replicating: already, checks: final, recheck_cluster: recheck }
}

/** Summary of the failed checks, for a step's error. */
export function failureSummary(checks: Check[]): { code: string; detail: string; fix: string | null } {
  const failed = checks.filter((c) => c.status === 'fail')
  const first = failed[0]
  return {
    code: first?.code ?? 'PREFLIGHT_FAILED',
    detail: failed.map((c) => `${c.name}: ${c.code}: ${c.detail}`).join('; '),
    fix: first?.fix ?? null,
  }
}
