import type { ClusterStatus } from '../cluster-status.ts'
import type { FenceRecord } from '../fence/fence.schemas.ts'
import type { Serving, ServingConfirmation } from './serving.schemas.ts'

/** getServing's answer but its episode, which the gate adds. */
export type ServingDecision = Omit<Serving, 'episode'>

/**
 * Whether clients may be sent to this cluster (a load balancer's health check): only to a Vault that answers unsealed,
 * is not a DR secondary, not fenced, and, as a DR primary with DR secondaries, whose role its agent has confirmed
 * (serving-gate.ts says when): a lost site's primary that comes back after a failover answers 503 from its first
 * answer, before its agent hears of the fence and demotes it.
 */
export function decideServing(
  status: ClusterStatus,
  fence: FenceRecord | undefined,
  confirmed: ServingConfirmation | undefined,
): ServingDecision {
  const view = (serving: boolean, reason: Serving['reason'], detail: string): ServingDecision => ({
    serving,
    reason,
    detail,
    confirmed: confirmed ?? null,
  })
  if (fence !== undefined) return view(false, 'fenced', `Fenced by ${fence.by} at ${fence.at}: ${fence.reason}`)
  const { vault, replication } = status
  if (!vault.reachable || vault.sealed !== false || replication === null) {
    return view(false, 'vault_unavailable', vault.error ?? 'Vault answers sealed or without its DR status')
  }
  if (replication.mode === 'disabled') return view(true, 'dr_disabled', 'DR replication is not enabled')
  if (replication.mode === 'unknown')
    return view(false, 'vault_unavailable', "Vault does not say the cluster's DR mode")
  if (replication.mode !== 'primary') {
    return view(false, 'dr_secondary', `The cluster's DR mode is ${replication.mode}: it serves no client`)
  }
  if (replication.known_secondaries.length === 0) {
    return view(true, 'primary', 'A DR primary without DR secondaries: no other cluster can have been promoted')
  }
  if (confirmed === undefined) {
    return view(
      false,
      'unconfirmed',
      'A DR primary whose role is not confirmed since this agent started or its Vault was away: waiting for a DR ' +
        'secondary to connect or for the gateway to confirm it (the fence comes first if it was failed away from)',
    )
  }
  return view(true, 'primary', `A DR primary, confirmed by ${confirmed.by} at ${confirmed.at}`)
}
