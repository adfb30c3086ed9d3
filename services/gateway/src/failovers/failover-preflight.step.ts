import type { StepResult } from '../operations/step.ts'
import { StepFailed } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import type { FailoverPlan } from './failovers.schemas.ts'
import type { FailoverSubject } from './failovers-subject.ts'

/** What a failover keeps of the plan it acted on: why the primary counted as lost, and the loss it accepted. */
export function planSummary(plan: FailoverPlan) {
  return {
    primary_verdict: plan.primary_verdict,
    vantage_points: plan.vantage_points,
    data_loss: plan.data_loss,
    dr_operation_token_source: plan.dr_operation_token.source,
  }
}

/**
 * The guard, once more right before the promote (time passed since the request): the primary lost from two vantage
 * points for down_for (or sealed or gone by its agent's word), the loss known and nil unless allowed. Changes nothing.
 */
export async function failoverPreflight(
  deps: FailoverDeps,
  r: RoleChangeRun,
  subject: FailoverSubject,
): Promise<StepResult> {
  const plan = await deps.planner(
    { to: subject.to, down_for: subject.down_for, allow_data_loss: subject.allow_data_loss },
    r.run.signal(),
  )
  await r.saveData({ plan: planSummary(plan) })
  if (plan.primary !== subject.from) {
    throw new StepFailed({
      code: FailoverErrors.refused.code,
      detail: `${subject.to}'s primary is ${plan.primary} now, not ${subject.from}`,
      fix: 'Plan again (POST /v1/failovers/plan) and fail over from the primary it names.',
    })
  }
  if (!plan.allowed || plan.refusal !== null) {
    const refusal = plan.refusal ?? { code: 'UNKNOWN', detail: 'refused', fix: null }
    throw new StepFailed({
      code: FailoverErrors.refused.code,
      detail: `${refusal.code}: ${refusal.detail}`,
      fix: refusal.fix,
    })
  }
  await r.roles.saveLeg(0, {
    last_wal_before_demote: plan.data_loss.primary_last_wal,
    secondary_last_remote_wal: plan.data_loss.secondary_last_remote_wal,
    wals_lost: plan.data_loss.wals,
  })
  const loss = plan.data_loss.wals === null ? 'unknown (allowed)' : `${plan.data_loss.wals} WAL(s)`
  return {
    status: 'succeeded',
    detail: `${subject.from} is lost (${plan.items[0]?.detail ?? plan.primary_verdict}); estimated loss ${loss}`,
  }
}
