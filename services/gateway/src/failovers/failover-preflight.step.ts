import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { StepFailed } from '../operations/step.ts'
import { durationMs } from '../switchovers/durations.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import type { FailoverPlan } from './failovers.schemas.ts'
import type { FailoverSubject } from './failovers-subject.ts'
import { selfFenceWaitMs } from './old-primary-fence.ts'

/** How long past down_for a resumed preflight waits for the primary to count as down again. */
const NOT_DOWN_GRACE_MS = 10_000

/**
 * A plan this young is the one the request judged the failover by, an instant ago: it stands for the guard right
 * before the promote. An older one (the operation waited, or a gateway resumes it) is judged again.
 */
const FRESH_PLAN_MS = 1_000

/** What a failover keeps of the plan it acted on: why the primary counted as lost, and the loss it accepted. */
export type PlanSummary = ReturnType<typeof planSummary>

export function planSummary(plan: FailoverPlan) {
  return {
    primary_verdict: plan.primary_verdict,
    vantage_points: plan.vantage_points,
    data_loss: plan.data_loss,
    dr_operation_token_source: plan.dr_operation_token.source,
    old_primary_fence: plan.old_primary_fence,
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
  const kept = r.data().plan as PlanSummary | undefined
  if (kept !== undefined && deps.now() - Date.parse(r.run.record().created_at) < FRESH_PLAN_MS) {
    return acceptPlan(r, subject, kept, 'judged by the request just now')
  }
  const signal = r.run.signal()
  const ask = { to: subject.to, down_for: subject.down_for, allow_data_loss: subject.allow_data_loss }
  // A gateway restarted since the request (or another one resuming it) has watched the primary for less than
  // down_for: the guard passed once already, so it waits for its own observation to reach down_for again, as long
  // as the primary stays unreachable (a healthy primary is refused at once).
  let plan = await deps.planner(ask, signal)
  if (plan.refusal?.code === 'PRIMARY_NOT_DOWN') {
    const settled = await pollUntil(
      async () => {
        plan = await deps.planner(ask, signal)
        return plan.refusal?.code === 'PRIMARY_NOT_DOWN' ? undefined : plan
      },
      {
        // A self-fencing old primary is waited for as long as its agent may take to demote it, when that is longer
        // (its setting as known now, though its agent may still answer this first look).
        timeoutMs: Math.max(durationMs(subject.down_for), selfFenceWaitMs(plan.old_primary_fence)) + NOT_DOWN_GRACE_MS,
        intervalMs: 250,
        signal,
      },
    )
    plan = settled ?? plan
  }
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
  return acceptPlan(r, subject, planSummary(plan), plan.items[0]?.detail ?? plan.primary_verdict)
}

/** The loss the failover accepts, kept on its leg for the result and a later rejoin. */
async function acceptPlan(r: RoleChangeRun, subject: FailoverSubject, plan: PlanSummary, why: string) {
  await r.roles.saveLeg(0, {
    last_wal_before_demote: plan.data_loss.primary_last_wal,
    secondary_last_remote_wal: plan.data_loss.secondary_last_remote_wal,
    wals_lost: plan.data_loss.wals,
  })
  const loss = plan.data_loss.wals === null ? 'unknown (allowed)' : `${plan.data_loss.wals} WAL(s)`
  return {
    status: 'succeeded',
    detail: `${subject.from} is lost (${why}); estimated loss ${loss}`,
  } satisfies StepResult
}
