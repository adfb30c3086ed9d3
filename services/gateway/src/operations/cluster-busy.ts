import { GatewayErrors } from '../gateway-errors.ts'

/** GATEWAY_ERR_CLUSTER_BUSY naming the unfinished operation that holds the cluster, as its lock refuses another. */
export function clusterBusy(holder: { kind: string; id: string; state: string }, cluster: string) {
  return GatewayErrors.clusterBusy(
    `Operation ${holder.id} (${holder.kind}) is ${holder.state} and holds cluster ${cluster}`,
  )
}
