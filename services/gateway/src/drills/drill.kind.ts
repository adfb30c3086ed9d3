import type { OperationKind, StepSpec } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { parseRoleStep } from '../role-changes/role-step-names.ts'
import { roleStepSpec } from '../role-changes/role-steps.ts'
import { undoDemote, undoFailed } from '../role-changes/undo-demote.ts'
import { durationMs } from '../switchovers/durations.ts'
import { hookStep } from '../switchovers/hook-steps.ts'
import { roleChangePreflight } from '../switchovers/preflight.step.ts'
import { type RoleChangeRun, roleChangeRun } from '../switchovers/role-change-run.ts'
import { switchoverNeededS } from '../switchovers/switchover.kind.ts'
import type { SwitchoverDeps } from '../switchovers/switchover-deps.ts'
import { type KindDeps, switchoverDepsOf } from '../switchovers/switchover-deps-of.ts'
import { BACK, OUT } from './drill-plan.ts'
import { failedDrillData, summarizeDrill } from './drill-report.ts'
import { DrillSubject } from './drills.schemas.ts'
import { holdStep } from './hold.step.ts'

/** Seconds a drill may take at most: both legs and the hold; its DR operation token must outlive it. */
export function drillNeededS(deps: SwitchoverDeps, subject: DrillSubject, followers: number): number {
  return 2 * switchoverNeededS(deps, subject.catch_up_timeout, followers) + Math.ceil(durationMs(subject.hold) / 1000)
}

export const DRILL_LATE_CANCEL =
  ' (cancel requested after the first demote: the drill cuts its hold short and switches back, its safe end)'

/**
 * A DR drill as an operation: preflight, pre-hook, a switchover there (steps out.*), a hold during which the new
 * primary's write acceptance is checked, the switchover back (back.*), post-hook; data.report holds each leg's RTO
 * (write-unavailable window) and RPO (WALs lost), the hold's checks and the warnings.
 */
/** The leg a failed drill undoes: the way back once it was demoted, else the way out. */
const failedLeg = (r: RoleChangeRun) => (r.roles.leg(1).demote_sent_at === null ? 0 : 1)

/**
 * The report a drill that failed between its first demote and the end of its way back ends with: verdict failed (DR
 * did not work as drilled). One that failed before any demote changed nothing, and one that failed after its way back
 * was done measured all it could: their verdicts stay as they were (the operation's state says it failed).
 */
export const endedReport = (r: Pick<RoleChangeRun, 'data'>, why: 'failed' | 'cancelled') => {
  const [out, back] = r.data().legs
  const midway = why === 'failed' && out?.demote_sent_at != null && back?.finished_at == null
  return midway ? { patch: { data: failedDrillData(r.data()) } } : {}
}

export function drillKind(kindDeps: KindDeps): OperationKind<OperationRecord, RoleChangeRun> {
  const deps = switchoverDepsOf(kindDeps)
  return {
    kind: 'drill',
    createdBy: 'POST /v1/drills',
    step(name, record): StepSpec<RoleChangeRun> {
      const subject = DrillSubject.parse(record.subject)
      if (name === 'preflight') {
        return {
          name,
          run: (r) =>
            roleChangePreflight(deps, r, drillNeededS(deps, subject, r.roles.leg(0).followers.length), {
              roundTrip: true,
            }),
          interruptible: true,
          cancellable: true,
        }
      }
      if (name === 'pre_hook' && subject.pre_hook_url !== null) {
        const url = subject.pre_hook_url
        return { name, run: (r) => hookStep(deps, r, 'pre', url), interruptible: true, cancellable: true }
      }
      if (name === 'post_hook' && subject.post_hook_url !== null) {
        const url = subject.post_hook_url
        return { name, run: (r) => hookStep(deps, r, 'post', url), pastPointOfNoReturn: true }
      }
      if (name === 'hold') {
        const [holdMs, everyMs] = [durationMs(subject.hold), durationMs(subject.check_interval)]
        return { name, run: (r) => holdStep(r, holdMs, everyMs), interruptible: true, pastPointOfNoReturn: true }
      }
      const parsed = parseRoleStep(name, [OUT, BACK])
      if (parsed === undefined) throw new Error(`a drill has no step ${name}`)
      return roleStepSpec(name, parsed, parsed.prefix === OUT ? 0 : 1, (r) => r.roles)
    },
    context: (run) => roleChangeRun(deps, run, summarizeDrill),
    async compensate(r, why) {
      const { note, fix, replacesFix } = await undoDemote(r.roles, failedLeg(r))
      return {
        note,
        ...(fix === undefined ? {} : { fix }),
        ...(replacesFix === true ? { replacesFix } : {}),
        ...endedReport(r, why),
      }
    },
    compensationFailed: (r, err) => ({ ...undoFailed(r.roles, failedLeg(r), err), ...endedReport(r, 'failed') }),
    lateCancelNote: DRILL_LATE_CANCEL,
  }
}
