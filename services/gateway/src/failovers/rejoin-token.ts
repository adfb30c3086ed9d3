import { GatewayErrors } from '../gateway-errors.ts'
import { StepCancelled } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'

/**
 * The DR operation token a rejoin's update-primary needs, kept for the primary it follows: issued there now when none
 * is kept, it expired, it is past half its life or was made by another replication set. A rejoin may come hours after
 * the operation it follows, the token that operation kept expired by then; checked before anything is minted.
 */
export async function ensureRejoinToken(
  deps: Pick<FailoverDeps, 'store' | 'custody'>,
  r: RoleChangeRun,
  primary: string,
  replicationClusterId: string | null,
): Promise<string> {
  // A cancellation asked while the clusters were read stops here, before a token is issued for nothing.
  if (await r.run.cancelRequested()) throw new StepCancelled()
  const signal = r.run.signal()
  const stored = await deps.store.getCluster(primary)
  if (stored === undefined) throw GatewayErrors.clusterNotFound(`${primary}, the primary to follow, is not registered`)
  const { token, rotated } = await deps.custody.ensure(stored, replicationClusterId, { signal })
  return rotated === undefined
    ? `the DR operation token kept for ${primary} is valid until ${token.expires_at}`
    : `${primary} issued a DR operation token (${rotated.replace('_', ' ')}), valid until ${token.expires_at}`
}
