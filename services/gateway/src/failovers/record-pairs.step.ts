import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'

/**
 * The pairs as they are now: each follower is a secondary of the new primary (GET /v1/pairs lists them so), written
 * under the failover's lease.
 */
export async function recordPairs(r: RoleChangeRun): Promise<StepResult> {
  const leg = r.roles.leg(0)
  for (const f of leg.followers) {
    await r.roles.recordPairing({ secondary: f.cluster, primary: leg.to, secondary_id: f.secondary_id })
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
