import type { AgentStatusAnswer } from '../agents/cluster-agent-client.ts'
import type { DrTokenInfo } from '../dr-operation-tokens/token-custody.ts'
import type { Pair } from './pairs.schemas.ts'

/** One side's status as the gateway got it: the agent's answer, or why there is none. */
export type Side = { status: AgentStatusAnswer } | { error: { code: string; detail: string } }

function cluster(name: string, side: Side): Pair['clusters']['primary'] {
  if ('error' in side) {
    return {
      name,
      agent_reachable: false,
      error: side.error,
      vault_reachable: null,
      sealed: null,
      version: null,
      ha_role: null,
      mode: null,
      state: null,
      replication_cluster_id: null,
      checked_at: null,
    }
  }
  const { vault, replication, checked_at } = side.status
  return {
    name,
    agent_reachable: true,
    error: null,
    vault_reachable: vault.reachable,
    sealed: vault.sealed,
    version: vault.version,
    ha_role: vault.ha_role,
    mode: replication?.mode ?? null,
    state: replication?.state ?? null,
    replication_cluster_id: replication?.cluster_id ?? null,
    checked_at,
    // Absent from an agent before the field: unknown, not off.
    ...(side.status.fence_on_isolation_ms === undefined
      ? {}
      : { fence_on_isolation_ms: side.status.fence_on_isolation_ms }),
  }
}

const statusOf = (side: Side) => ('status' in side ? side.status : undefined)

/** A pair's view from both sides' statuses and the primary's token, as of `now`. */
export function pairView(
  names: { primary: string; secondary: string; secondary_id: string },
  primary: Side,
  secondary: Side,
  token: DrTokenInfo | null,
  now: number,
  ceremony: { created_at: string } | null = null,
): Pair {
  const p = statusOf(primary)?.replication ?? null
  const s = statusOf(secondary)?.replication ?? null
  const peer = p?.secondaries.find((x) => x.node_id === names.secondary_id) ?? null
  const reads = [statusOf(primary)?.checked_at, statusOf(secondary)?.checked_at].map((at) =>
    at === undefined ? Number.NaN : Date.parse(at),
  )
  const oldest = Math.min(...reads)
  const lagWals = p?.last_wal != null && s?.last_remote_wal != null ? Math.max(0, p.last_wal - s.last_remote_wal) : null
  return {
    ...names,
    clusters: { primary: cluster(names.primary, primary), secondary: cluster(names.secondary, secondary) },
    connection_state: s?.connection_state ?? null,
    primary_sees_secondary: peer?.connection_status ?? null,
    lag: {
      wals: lagWals,
      primary_last_wal: p?.last_wal ?? null,
      secondary_last_remote_wal: s?.last_remote_wal ?? null,
      age_s: Number.isNaN(oldest) ? null : Math.max(0, Math.round((now - oldest) / 100) / 10),
    },
    heartbeat_age_s: s?.primaries[0]?.heartbeat_age_s ?? peer?.heartbeat_age_s ?? null,
    merkle_corrupted: s?.corrupted_merkle_tree ?? null,
    versions: {
      primary: statusOf(primary)?.vault.version ?? null,
      secondary: statusOf(secondary)?.vault.version ?? null,
    },
    dr_operation_token: token,
    dr_ceremony_token: ceremony,
    checked_at: new Date(now).toISOString(),
  }
}
