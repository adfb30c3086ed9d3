import type { ClusterContext } from '../context.ts'
import { GO_ZERO_EPOCH } from '../messages.ts'
import type { PeerConnection, PrimaryDrState, SecondaryDrState } from '../state.ts'

/** `data` of GET sys/replication/dr/status for the cluster's current DR mode (keys sorted, as Go prints maps). */
export function drStatus(ctx: ClusterContext): Record<string, unknown> {
  const { dr } = ctx
  if (dr.mode === 'disabled') return { mode: 'disabled' }
  if (dr.mode === 'primary') return primaryStatus(ctx, dr)
  return dr.credentials ? secondaryStatus(ctx, dr) : unattachedSecondaryStatus(ctx, dr)
}

function primaryStatus(ctx: ClusterContext, dr: PrimaryDrState): Record<string, unknown> {
  const lastWal = ctx.storage.lastWal
  const secondaries = [...dr.secondaries.values()].flatMap(({ id, connection }) =>
    connection ? [{ ...peerFields(connection), node_id: id }] : [],
  )
  return {
    cluster_id: dr.clusterId,
    corrupted_merkle_tree: ctx.runtime.merkleCorrupted,
    known_secondaries: [...dr.secondaries.keys()],
    last_corruption_check_epoch: GO_ZERO_EPOCH,
    last_dr_wal: lastWal,
    last_reindex_epoch: '0',
    last_wal: lastWal,
    merkle_root: ctx.storage.merkleRoot(),
    mode: 'primary',
    primary_cluster_addr: dr.primaryClusterAddr,
    secondaries,
    ssct_generation_counter: 0,
    state: 'running',
  }
}

function secondaryStatus(ctx: ClusterContext, dr: SecondaryDrState): Record<string, unknown> {
  const nested = ctx.options.compat.syncProgress === 'nested'
  return {
    cluster_id: dr.clusterId,
    connection_state: dr.connectionState,
    corrupted_merkle_tree: ctx.runtime.merkleCorrupted,
    known_primary_cluster_addrs: dr.knownPrimaryClusterAddrs,
    last_corruption_check_epoch: corruptionCheckEpoch(ctx),
    last_reindex_epoch: dr.reindexEpoch,
    last_remote_wal: ctx.storage.lastWal,
    last_start: rfc3339(dr.lastStart),
    merkle_root: ctx.storage.merkleRoot(),
    ...(dr.sync && nested && { merkle_sync_progress: syncFields(dr.sync) }),
    mode: dr.mode,
    primaries: dr.primary ? [peerFields(dr.primary)] : [],
    primary_cluster_addr: dr.primaryClusterAddr,
    secondary_id: dr.secondaryId,
    ssct_generation_counter: 0,
    state: dr.state,
    ...(dr.sync && !nested && syncFields(dr.sync)),
  }
}

/**
 * A secondary that connects to nothing (a demoted primary, or one told `token: ""`): P7's shape exactly (D3), with
 * what a merkle-check found and when (P7's false and zero time until one ran).
 */
function unattachedSecondaryStatus(ctx: ClusterContext, dr: SecondaryDrState): Record<string, unknown> {
  return {
    cluster_id: dr.clusterId,
    corrupted_merkle_tree: ctx.runtime.merkleCorrupted,
    known_primary_cluster_addrs: null,
    last_corruption_check_epoch: corruptionCheckEpoch(ctx),
    last_reindex_epoch: dr.reindexEpoch,
    merkle_root: ctx.storage.merkleRoot(),
    mode: dr.mode,
    primaries: [],
    primary_cluster_addr: '',
    secondary_id: '',
    ssct_generation_counter: 0,
    state: 'idle',
  }
}

function corruptionCheckEpoch(ctx: ClusterContext): string {
  const at = ctx.runtime.lastCorruptionCheck
  return at ? String(Math.floor(at.getTime() / 1000)) : GO_ZERO_EPOCH
}

function syncFields(sync: { progress: number; total: number }) {
  return { sync_progress: sync.progress, sync_total_keys: sync.total }
}

/**
 * One peer of secondaries[] / primaries[]. last_heartbeat_duration_ms is how long the last heartbeat took;
 * replication_primary_canary_age_ms is the replication lag, here the age of the last heartbeat (D6). Both strings.
 */
function peerFields(peer: PeerConnection) {
  return {
    api_address: peer.apiAddress,
    clock_skew_ms: '0',
    cluster_address: peer.clusterAddress,
    connection_status: peer.connected ? 'connected' : 'disconnected',
    last_heartbeat: rfc3339(peer.lastHeartbeat),
    last_heartbeat_duration_ms: String(peer.lastHeartbeatDurationMs),
    replication_primary_canary_age_ms: String(Math.max(0, Date.now() - peer.lastHeartbeat.getTime())),
  }
}

/** Go's time.RFC3339: second precision, `Z` for UTC. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
