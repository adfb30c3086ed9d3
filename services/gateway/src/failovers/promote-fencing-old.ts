import { runAgain } from '../operations/rerun-unfinished.ts'
import { type StepResult, toStepError } from '../operations/step.ts'
import { isOldPrimaryBack } from '../role-changes/promote-secondary.step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { recordFence } from './fence-old-primary.step.ts'
import { readFence } from './fence-record.ts'
import { promoteWithFallback } from './promote-with-fallback.ts'

/**
 * The failover's promote, which fences the old primary as soon as it may have taken effect: a promote sent and not
 * refused is fenced before the step waits for an agent that gave no answer (it may take a minute) or fails, not after,
 * as the old primary's site may return meanwhile. An old primary that came back as one while this failover's fence is
 * on record is being demoted by the fence keeper: the step runs again once it has been, instead of failing.
 */
export async function promoteFencingOld(
  deps: FailoverDeps,
  r: RoleChangeRun,
  secondary: string,
  promote: (r: RoleChangeRun) => Promise<StepResult>,
): Promise<StepResult> {
  try {
    return await promoteWithFallback(deps, r, secondary, promote)
  } catch (err) {
    const leg = r.roles.leg(0)
    if (leg.promote_sent_at !== null) {
      // Never waited for without the fence: a store that fails here fails the step (its compensation fences again,
      // or a resumed run does), with the promote's own failure in the log.
      await recordFence(deps, r).catch((fenceErr: unknown) => {
        r.run.log.warn(
          { failover: r.roles.operationId, err: toStepError(err) },
          `the fence of ${leg.from} could not be written after the promote of ${leg.to} failed`,
        )
        throw fenceErr
      })
    }
    if (!isOldPrimaryBack(err)) throw err
    const fence = await readFence(deps.store, leg.from).catch(() => undefined)
    throw fence?.failover_id === r.roles.operationId ? runAgain(err as Error) : err
  }
}
