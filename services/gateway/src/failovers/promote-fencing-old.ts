import { isCodedError } from '@vault-dr/core'
import { runAgain } from '../operations/rerun-unanswered.ts'
import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
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
    // A store that fails here leaves the step's own failure to tell (the compensation fences again).
    if (leg.promote_sent_at !== null) await recordFence(deps, r).catch(() => undefined)
    const fence = await readFence(deps.store, leg.from).catch(() => undefined)
    const backWhileFenced =
      isCodedError(err) &&
      err.code === SwitchoverErrors.unexpectedRole.code &&
      fence?.failover_id === r.roles.operationId
    throw backWhileFenced ? runAgain(err) : err
  }
}
