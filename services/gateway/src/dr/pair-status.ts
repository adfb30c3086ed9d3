import type { ClusterStatus } from '../agents/agent-types.ts'

export interface PairStatus {
  primary: ClusterStatus
  secondary: ClusterStatus
}

/**
 * The secondary is a DR secondary of this primary, activated with this secondary id, which the primary still knows:
 * a revoked secondary keeps its id and replication set, but the primary forgot the id and refuses it (it needs a new
 * token, so it must not count as activated).
 */
export function activatedWith({ primary, secondary }: PairStatus, secondaryId: string): boolean {
  const p = primary.replication
  const s = secondary.replication
  if (p?.mode !== 'primary' || s?.mode !== 'secondary' || s.cluster_id === null || s.cluster_id !== p.cluster_id) {
    return false
  }
  const known = p.known_secondaries.includes(secondaryId) || p.secondaries.some((peer) => peer.node_id === secondaryId)
  if (!known) return false
  if (s.secondary_id !== null) return s.secondary_id === secondaryId
  return p.secondaries.some((peer) => peer.node_id === secondaryId)
}

/**
 * The secondary cannot tell where it stands: its DR status could not be read or has a mode we do not know, it is
 * sealed (a new DR secondary's standbys seal themselves), or sys/health says it is in DR but its DR status does not.
 * Vault is unavailable while an activation bootstraps, so this may be one in flight: never a ground to revoke.
 */
export function secondaryUnreadable(secondary: ClusterStatus): boolean {
  const s = secondary.replication
  if (s === null || s.mode === 'unknown' || !secondary.vault.reachable || secondary.vault.sealed === true) return true
  const healthMode = secondary.vault.dr_mode
  return (healthMode === 'secondary' || healthMode === 'bootstrapping') && s.mode === 'disabled'
}

/**
 * How the primary's secondary id is used, seen from this pair:
 * - `free`: the primary does not know it;
 * - `unused`: the primary knows it but no secondary ever connected with it (its token was not used): safe to revoke;
 * - `ours`: this secondary is activated with it (the steps verify instead of activating again);
 * - `settling`: this secondary is bootstrapping, with this id or one it does not report, or cannot say where it
 *   stands (secondaryUnreadable): never revoke now;
 * - `in_use`: another DR secondary of the primary uses it: revoking would cut that one off.
 */
export type SecondaryIdUse = 'free' | 'unused' | 'ours' | 'settling' | 'in_use'

export function secondaryIdUse(pair: PairStatus, secondaryId: string): SecondaryIdUse {
  if (activatedWith(pair, secondaryId)) return 'ours'
  if (secondaryUnreadable(pair.secondary)) return 'settling'
  const s = pair.secondary.replication
  if (s?.mode === 'bootstrapping' && (s.secondary_id === null || s.secondary_id === secondaryId)) return 'settling'
  const p = pair.primary.replication
  if (p === null) return 'free'
  if (p.secondaries.some((peer) => peer.node_id === secondaryId)) return 'in_use'
  return p.known_secondaries.includes(secondaryId) ? 'unused' : 'free'
}

/** The peer entry of the DR secondary that uses the id, for error details. */
export function describePeer(pair: PairStatus, secondaryId: string): string {
  const peer = pair.primary.replication?.secondaries.find((x) => x.node_id === secondaryId)
  if (peer === undefined) return 'no peer entry'
  return `${peer.connection_status ?? 'unknown'}, api ${peer.api_address ?? 'unknown'}`
}

/** What the secondary's own status says is missing: it streams WALs over a ready connection. */
export function secondaryGaps(secondary: ClusterStatus): string[] {
  const s = secondary.replication
  if (s === null) return ['DR status unavailable']
  const gaps: string[] = []
  if (s.mode !== 'secondary') gaps.push(`secondary mode is ${s.mode}, not secondary`)
  if (s.state !== 'stream-wals') gaps.push(`secondary state is ${s.state ?? 'unknown'}, not stream-wals`)
  if (s.connection_state !== 'ready')
    gaps.push(`secondary connection_state is ${s.connection_state ?? 'unknown'}, not ready`)
  return gaps
}

/** What is still missing for healthy replication of `secondaryId`; empty when it streams. */
export function verifyGaps({ primary, secondary }: PairStatus, secondaryId: string): string[] {
  const p = primary.replication
  const s = secondary.replication
  if (p === null || s === null) return ['DR status unavailable']
  const gaps = secondaryGaps(secondary)
  if (s.cluster_id === null || s.cluster_id !== p.cluster_id) {
    gaps.push(
      `secondary replication cluster_id ${s.cluster_id ?? 'none'} differs from the primary's ${p.cluster_id ?? 'none'}`,
    )
  }
  const peer = p.secondaries.find((x) => x.node_id === secondaryId)
  if (peer === undefined) gaps.push(`the primary does not list secondary ${secondaryId}`)
  else if (peer.connection_status !== 'connected') {
    gaps.push(`the primary lists ${secondaryId} as ${peer.connection_status ?? 'unknown'}, not connected`)
  }
  return gaps
}
