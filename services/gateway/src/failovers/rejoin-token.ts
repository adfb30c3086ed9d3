import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'
import { StepCancelled } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import type { FailoverDeps } from './failover-deps.ts'

type TokenDeps = Pick<FailoverDeps, 'store' | 'custody'>

/** Has `primary` issue a DR operation token unless one kept for it is valid for long: what the rejoin's preflight says. */
async function ensureKept(deps: TokenDeps, primary: string, set: string | null, signal: AbortSignal) {
  const stored = await deps.store.getCluster(primary)
  if (stored === undefined) throw GatewayErrors.clusterNotFound(`${primary}, the primary to follow, is not registered`)
  return deps.custody.ensure(stored, set, { signal, heldByOperation: true })
}

/**
 * The DR operation token a rejoin's update-primary needs, kept for the primary it follows: issued there now when none
 * is kept, it expired, it is past half its life or was made by another replication set. A rejoin may come hours after
 * the operation it follows, the token that operation kept expired by then; checked before anything is minted.
 */
export async function ensureRejoinToken(
  deps: TokenDeps,
  r: RoleChangeRun,
  primary: string,
  replicationClusterId: string | null,
): Promise<string> {
  // A cancellation asked while the clusters were read stops here, before a token is issued for nothing.
  if (await r.run.cancelRequested()) throw new StepCancelled()
  const { token, rotated } = await ensureKept(deps, primary, replicationClusterId, r.run.signal())
  return rotated === undefined
    ? `the DR operation token kept for ${primary} is valid until ${token.expires_at}`
    : `${primary} issued a DR operation token (${rotated.replace('_', ' ')}), valid until ${token.expires_at}`
}

/**
 * The rejoin's DR operation token when a step sends it: the one kept, or, when none kept is valid any more, one the
 * primary it follows issues then. The preflight made sure of a token, but a gateway down for longer than that token
 * had left (hours) resumes the re-pointing after it expired.
 */
export function issuedWhenExpired(deps: TokenDeps, r: RoleChangeRun): RoleChangeRun {
  const kept = r.roles.drToken
  const drToken = async () => {
    try {
      return await kept()
    } catch (err) {
      if (!isCodedError(err, SwitchoverErrors.noDrOperationToken.code)) throw err
      const leg = r.roles.leg(0)
      await ensureKept(deps, leg.to, leg.replication_cluster_id, r.run.signal())
      return kept()
    }
  }
  return { ...r, roles: { ...r.roles, drToken } }
}
