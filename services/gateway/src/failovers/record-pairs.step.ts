import type { StepResult } from '../operations/step.ts'
import { iso } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'

/** The pairs as they are now: each follower is a secondary of the new primary (GET /v1/pairs lists them so). */
export async function recordPairs(deps: FailoverDeps, r: RoleChangeRun): Promise<StepResult> {
  const leg = r.roles.leg(0)
  const at = iso(deps.now())
  for (const f of leg.followers) {
    await deps.store.recordPairing({ secondary: f.cluster, primary: leg.to, secondary_id: f.secondary_id }, at)
  }
  const names = leg.followers.map((f) => f.cluster)
  return {
    status: 'succeeded',
    detail:
      names.length === 0
        ? `${leg.to} is the DR primary; ${leg.from} stays fenced until it rejoins (vault-dr rejoin ${leg.from})`
        : `${names.join(', ')} paired with ${leg.to}; ${leg.from} stays fenced until it rejoins (vault-dr rejoin ${leg.from})`,
  }
}
