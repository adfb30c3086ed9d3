import { runAgain } from '../operations/rerun-unfinished.ts'
import { type StepResult, toStepError } from '../operations/step.ts'
import { isOldPrimaryBack } from '../role-changes/promote-secondary.step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { failoverPreflight } from './failover-preflight.step.ts'
import type { FailoverSubject } from './failovers-subject.ts'
import { recordFence } from './fence-old-primary.step.ts'
import { readFence, withdrawFence } from './fence-record.ts'
import { promoteWithFallback } from './promote-with-fallback.ts'

/**
 * How old the preflight's verdict may be when the promote is about to be sent: an older one (a gateway resumed the
 * failover after a crash, or took it over) is judged again first, as the primary may be back meanwhile.
 */
export const VERDICT_FRESH_MS = 5_000

/**
 * The failover's promote, with the old primary's fence written before it may take effect: right before the promote
 * is sent (write before act), pending, so no gateway acts on it yet; armed once the promote was sent, or by any
 * gateway's fence keeper that sees the new primary answer as one (this gateway killed after the promote landed). A
 * promote refused, or never sent, takes its pending fence back: nothing changed. An old primary that came back as one
 * while this failover's fence is on record (a promote sent earlier got no answer) is being demoted by the fence
 * keeper: the step runs again once it has been, instead of failing.
 */
export async function promoteFencingOld(
  deps: FailoverDeps,
  r: RoleChangeRun,
  subject: FailoverSubject,
  promote: (r: RoleChangeRun) => Promise<StepResult>,
): Promise<StepResult> {
  const fencing = (run: RoleChangeRun) =>
    promote({
      ...run,
      roles: {
        ...run.roles,
        // The step started past the point of no return (its start was written only with no cancellation on record, as
        // the cancellation's answer said): a cancellation asked since does not stop it.
        beforePromote: async () => {
          await recordFence(deps, run, true)
        },
      },
    })
  try {
    if (r.roles.leg(0).promote_sent_at === null) await judgeAgainIfStale(deps, r, subject)
    const promoted = await promoteWithFallback(deps, r, subject.to, fencing)
    // Armed at once (fence_old_primary, next, arms it too): the old primary is demoted wherever it answers.
    await recordFence(deps, r).catch((err: unknown) => {
      r.run.log.warn({ failover: r.roles.operationId, err: toStepError(err) }, 'the fence could not be armed yet')
    })
    return promoted
  } catch (err) {
    const leg = r.roles.leg(0)
    if (leg.promote_sent_at === null) {
      // No promote outstanding: a fence written for one goes (its compensation tries again if this fails).
      await withdrawFence(deps.store, leg.from, r.roles.operationId, r.run.lease).catch((withdrawErr: unknown) => {
        r.run.log.warn(
          { failover: r.roles.operationId, err: toStepError(withdrawErr) },
          `the fence of ${leg.from} could not be taken back after the promote of ${leg.to} was not sent`,
        )
      })
      throw err
    }
    // Never waited for without the fence: a store that fails here fails the step (its compensation fences again,
    // or a resumed run does), with the promote's own failure in the log.
    await recordFence(deps, r).catch((fenceErr: unknown) => {
      r.run.log.warn(
        { failover: r.roles.operationId, err: toStepError(err) },
        `the fence of ${leg.from} could not be written after the promote of ${leg.to} failed`,
      )
      throw fenceErr
    })
    if (!isOldPrimaryBack(err)) throw err
    const fence = await readFence(deps.store, leg.from).catch(() => undefined)
    throw fence?.failover_id === r.roles.operationId ? runAgain(err as Error) : err
  }
}

/** The preflight's guard again when its verdict is older than VERDICT_FRESH_MS (it throws when it now refuses). */
async function judgeAgainIfStale(deps: FailoverDeps, r: RoleChangeRun, subject: FailoverSubject) {
  const judged = r.run.record().steps.find((s) => s.name === 'preflight')?.finished_at
  if (judged !== null && judged !== undefined && deps.now() - Date.parse(judged) <= VERDICT_FRESH_MS) return
  await failoverPreflight(deps, r, subject)
}
