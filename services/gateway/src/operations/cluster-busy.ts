import { GatewayErrors } from '../gateway-errors.ts'
import type { ClusterHolder } from '../store/store.ts'

/** GATEWAY_ERR_CLUSTER_BUSY naming the unfinished operation that holds the cluster, as its lock refuses another. */
export function clusterBusy(holder: { kind: string; id: string; state: string }, cluster: string) {
  return GatewayErrors.clusterBusy(
    `Operation ${holder.id} (${holder.kind}) is ${holder.state} and holds cluster ${cluster}`,
  )
}

/** The first of `clusters` an unfinished operation holds, with that operation; undefined when none is held. */
export async function heldAmong(
  store: { operationHolding(cluster: string): Promise<ClusterHolder | undefined> },
  clusters: readonly string[],
): Promise<{ cluster: string; holder: ClusterHolder } | undefined> {
  for (const cluster of new Set(clusters)) {
    const holder = await store.operationHolding(cluster)
    if (holder !== undefined) return { cluster, holder }
  }
  return undefined
}

/**
 * Refuses, as the lock of a new operation would, while an unfinished operation holds one of `clusters`: said first,
 * before the clusters are judged as that operation left them for a moment (a drill's hold shows the pair reversed).
 */
export async function refuseIfHeld(
  store: { operationHolding(cluster: string): Promise<ClusterHolder | undefined> },
  clusters: readonly string[],
): Promise<void> {
  const held = await heldAmong(store, clusters)
  if (held !== undefined) throw clusterBusy(held.holder, held.cluster)
}
