import type { ClusterContext } from '../context.ts'
import { GO_ZERO_EPOCH } from '../messages.ts'
import type { PeerConnection, PrimaryDrState, SecondaryDrState } from '../state.ts'

/** `data` of GET sys/replication/dr/status for the cluster's current DR mode (keys sorted, as Go prints maps). */
export function drStatus(ctx: ClusterContext): Record<string, unknown> {
  const { dr } = ctx
  if (dr.mode === 'disabled') return { mode: 'disabled' }
  if (dr.mode === 'primary') return primaryStatus(ctx, dr)
  return secondaryStatus(ctx, dr)
}

function primaryStatus(ctx: ClusterContext, dr: PrimaryDrState): Record<string, unknown> {
  const lastWal = ctx.storage.lastWal
  const secondaries = [...dr.secondaries.values()].flatMap(({ id, connection }) =>
    connection ? [{ ...peerFields(connection), node_id: id }] : [],
  )
  return {
    cluster_id: dr.clusterId,
    corrupted_merkle_tree: false,
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
  return {
    cluster_id: dr.clusterId,
    connection_state: dr.connectionState,
    corrupted_merkle_tree: false,
    known_primary_cluster_addrs: dr.knownPrimaryClusterAddrs,
    last_corruption_check_epoch: GO_ZERO_EPOCH,
    last_reindex_epoch: '0',
    last_remote_wal: dr.credentials ? ctx.storage.lastWal : 0,
    last_start: rfc3339(dr.lastStart),
    merkle_root: ctx.storage.merkleRoot(),
    mode: dr.mode,
    primaries: dr.primary ? [peerFields(dr.primary)] : [],
    primary_cluster_addr: dr.primaryClusterAddr,
    secondary_id: dr.secondaryId,
    ssct_generation_counter: 0,
    state: dr.state,
    ...(dr.sync && { sync_progress: dr.sync.progress, sync_total_keys: dr.sync.total }),
  }
}

function peerFields(peer: PeerConnection) {
  const sinceHeartbeat = String(Math.max(0, Date.now() - peer.lastHeartbeat.getTime()))
  return {
    api_address: peer.apiAddress,
    clock_skew_ms: '0',
    cluster_address: peer.clusterAddress,
    connection_status: peer.connected ? 'connected' : 'disconnected',
    last_heartbeat: rfc3339(peer.lastHeartbeat),
    last_heartbeat_duration_ms: sinceHeartbeat,
    replication_primary_canary_age_ms: sinceHeartbeat,
  }
}

/** Go's time.RFC3339: second precision, `Z` for UTC. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
