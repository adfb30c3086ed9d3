import type { StepResult } from '../operations/step.ts'
import { iso } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { readFence, writeFence } from './fence-record.ts'

/**
 * Records the old primary as fenced, at the epoch the promote raised: every gateway sharing the store then demotes
 * it as soon as its agent answers again, before anything else is done with it, and until a rejoin it stays fenced.
 */
export async function fenceOldPrimary(deps: FailoverDeps, r: RoleChangeRun): Promise<StepResult> {
  const leg = r.roles.leg(0)
  const existing = await readFence(deps.store, leg.from)
  const epoch = await deps.store.currentEpoch()
  if (existing?.failover_id !== r.roles.operationId) {
    await writeFence(deps.store, {
      cluster: leg.from,
      epoch,
      failover_id: r.roles.operationId,
      new_primary: leg.to,
      fenced_at: iso(deps.now()),
      demoted_at: null,
      last_wal: null,
    })
  }
  return {
    status: 'succeeded',
    detail: `${leg.from} is fenced at epoch ${existing?.epoch ?? epoch}: agents refuse older calls, and ${leg.from} is demoted as soon as its agent answers again`,
  }
}
