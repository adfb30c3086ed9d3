import type { OperationKind, StepSpec } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { parseRoleStep } from '../role-changes/role-step-names.ts'
import { roleStepSpec } from '../role-changes/role-steps.ts'
import { undoDemote, undoFailed } from '../role-changes/undo-demote.ts'
import { durationMs } from './durations.ts'
import { hookStep } from './hook-steps.ts'
import { roleChangePreflight } from './preflight.step.ts'
import { type RoleChangeRun, type RunData, roleChangeRun } from './role-change-run.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { type KindDeps, switchoverDepsOf } from './switchover-deps-of.ts'
import { SwitchoverSubject } from './switchovers.schemas.ts'

/** The switchover's result fields: its one leg's write-unavailable window and WALs lost. */
export const summarizeSwitchover = (data: RunData): Partial<RunData> => ({
  write_unavailable_ms: data.legs[0]?.write_unavailable_ms ?? null,
  wals_lost: data.legs[0]?.wals_lost ?? null,
})

/** Seconds a switchover may take at most: its DR operation token must outlive it. */
export function switchoverNeededS(deps: SwitchoverDeps, catchUpTimeout: string, followers: number): number {
  const settle = deps.settings.settleTimeoutMs
  const hooks = 2 * deps.hooks.timeoutMs
  // Each role step up to the last re-pointing (the last use of the token) may wait for an agent to come back.
  const agentsBack = (5 + followers) * deps.settings.agentReturnMs
  return Math.ceil((durationMs(catchUpTimeout) + (3 + followers) * settle + hooks + agentsBack) / 1000) + 120
}

export const SWITCHOVER_LATE_CANCEL =
  ' (cancel requested after the demote: the operation ran on to a safe end, one DR primary with the others following it)'

/**
 * A planned switchover as an operation: preflight, pre-hook, the role steps of one leg (demote, catch up, promote,
 * verify, re-point the old primary and every other secondary, verify, new DR operation token), post-hook. A failure
 * between the demote and the promote promotes the old primary back (it holds everything it wrote).
 */
export function switchoverKind(kindDeps: KindDeps): OperationKind<OperationRecord, RoleChangeRun> {
  const deps = switchoverDepsOf(kindDeps)
  return {
    kind: 'switchover',
    createdBy: 'POST /v1/switchovers',
    step(name, record): StepSpec<RoleChangeRun> {
      const subject = SwitchoverSubject.parse(record.subject)
      if (name === 'preflight') {
        return {
          name,
          run: (r) =>
            roleChangePreflight(
              deps,
              r,
              switchoverNeededS(deps, subject.catch_up_timeout, r.roles.leg(0).followers.length),
            ),
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
      const parsed = parseRoleStep(name, [''])
      if (parsed === undefined) throw new Error(`a switchover has no step ${name}`)
      return roleStepSpec(name, parsed, 0, (r) => r.roles)
    },
    context: (run) => roleChangeRun(deps, run, summarizeSwitchover),
    async compensate(r) {
      const { note, fix, replacesFix } = await undoDemote(r.roles, 0)
      return { note, ...(fix === undefined ? {} : { fix }), ...(replacesFix === true ? { replacesFix } : {}) }
    },
    compensationFailed: (r, err) => undoFailed(r.roles, 0, err),
    lateCancelNote: SWITCHOVER_LATE_CANCEL,
  }
}
