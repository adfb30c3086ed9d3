import type { ClusterStatus } from '../agents/agent-types.ts'

/** Pure readings of one cluster's status, shared by every role-change step. */

export const drMode = (s: ClusterStatus) => s.replication?.mode ?? 'unknown'

export const isRunningPrimary = (s: ClusterStatus) =>
  s.vault.reachable && s.replication?.mode === 'primary' && s.replication.state === 'running'

export const clusterIdOf = (s: ClusterStatus) => s.replication?.cluster_id ?? null

/**
 * The last WAL a demoted primary wrote: Vault's DR status of a demoted cluster has no last_wal (fact sheet 2.2), its
 * sys/health does; `before` is what it reported while still primary, a lower bound.
 */
export function lastWalOf(s: ClusterStatus, before: number | null): number | null {
  const seen = [s.replication?.last_wal, s.vault.last_wal, before].filter((n): n is number => typeof n === 'number')
  return seen.length === 0 ? null : Math.max(...seen)
}

/** Where a secondary stands towards a primary it should follow with `secondaryId`. */
export type FollowState =
  /** It streams WALs from that primary, which sees it connected. */
  | 'streaming'
  /** It was given a token from that primary already and is syncing (merkle-diff, merkle-sync, or connecting). */
  | 'syncing'
  /** The primary knows the id but the cluster does not use it: a token minted by an earlier attempt. */
  | 'stale_id'
  /** Nothing done yet: public key, token, update-primary. */
  | 'needs_token'
  /** The cluster is a primary itself: it must not be re-pointed. */
  | 'is_primary'
  | 'unknown'

const SYNC_STATES = new Set(['connecting', 'merkle-diff', 'merkle-sync', 'stream-wals', 'bootstrapping'])

export function followState(me: ClusterStatus, primary: ClusterStatus, secondaryId: string): FollowState {
  const mine = me.replication
  const theirs = primary.replication
  if (mine === null || theirs === null || !me.vault.reachable) return 'unknown'
  if (mine.mode === 'primary') return 'is_primary'
  if (mine.mode !== 'secondary') return 'unknown'
  const sameSet = mine.cluster_id !== null && mine.cluster_id === theirs.cluster_id
  const known = theirs.known_secondaries.includes(secondaryId)
  const connected = theirs.secondaries.some((p) => p.node_id === secondaryId && p.connection_status === 'connected')
  if (sameSet && known && connected && mine.state === 'stream-wals' && mine.secondary_id === secondaryId) {
    return 'streaming'
  }
  if (sameSet && known && mine.secondary_id === secondaryId && SYNC_STATES.has(mine.state ?? '')) return 'syncing'
  if (known) return 'stale_id'
  return 'needs_token'
}
