import type { OperationKind, StepSpec } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { parseRoleStep } from '../role-changes/role-step-names.ts'
import { roleStepSpec } from '../role-changes/role-steps.ts'
import { type RoleChangeRun, type RunData, roleChangeRun } from '../switchovers/role-change-run.ts'
import { ceremonyTokenOf } from './ceremony-token.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import { failoverPreflight } from './failover-preflight.step.ts'
import { FailoverSubject } from './failovers-subject.ts'
import { fenceAfterFailedPromote, fenceOldPrimary } from './fence-old-primary.step.ts'
import { promoteFencingOld } from './promote-fencing-old.ts'
import { ceremonyFix } from './promote-with-fallback.ts'
import { recordPairs } from './record-pairs.step.ts'

/** The failover's result fields: how long after the request the new primary took writes, and the WALs lost. */
const summarizeFailover = (data: RunData): Partial<RunData> => ({
  write_unavailable_ms: null,
  wals_lost: data.legs[0]?.wals_lost ?? null,
})

export const FAILOVER_LATE_CANCEL =
  ' (cancel requested once promote_secondary had started: past the point of no return, the failover ran on to its end)'

/**
 * The DR operation token for the promote: a kept batch token of the replication set, else the token of the last
 * key-share ceremony on the secondary (no TTL), opened only for the one call that sends it.
 */
function withCeremonyFallback(deps: FailoverDeps, r: RoleChangeRun, secondary: string): RoleChangeRun {
  const kept = r.roles.drToken
  const drToken = async () => {
    try {
      return await kept()
    } catch (err) {
      const clear = await ceremonyTokenOf(deps, secondary)
      if (clear !== undefined) return clear
      throw FailoverErrors.noDrToken(`${(err as Error).message}, and no key-share ceremony token for ${secondary}`, {
        fix: ceremonyFix(secondary),
      })
    }
  }
  return { ...r, roles: { ...r.roles, drToken } }
}

/**
 * A failover as an operation: the guard again, the promote with the kept DR operation token (or the ceremony's),
 * the old primary fenced, the new primary seen taking writes, every other DR secondary re-pointed to it, and a new
 * DR operation token on it. Before promote_secondary starts a cancellation stops it with nothing changed; from then on, it
 * runs to its end, and one that fails there fences the old primary all the same.
 */
export function failoverKind(deps: FailoverDeps): OperationKind<OperationRecord, RoleChangeRun> {
  return {
    kind: 'failover',
    createdBy: 'POST /v1/failovers',
    step(name, record): StepSpec<RoleChangeRun> {
      const subject = FailoverSubject.parse(record.subject)
      if (name === 'preflight') {
        return { name, run: (r) => failoverPreflight(deps, r, subject), interruptible: true, cancellable: true }
      }
      if (name === 'fence_old_primary') return { name, run: (r) => fenceOldPrimary(deps, r), pastPointOfNoReturn: true }
      if (name === 'record_pairs') return { name, run: (r) => recordPairs(r), pastPointOfNoReturn: true }
      const parsed = parseRoleStep(name, [''])
      if (parsed === undefined) throw new Error(`a failover has no step ${name}`)
      const spec = roleStepSpec<RoleChangeRun>(name, parsed, 0, (r) => r.roles)
      if (name !== 'promote_secondary') return spec
      return { ...spec, run: (r) => promoteFencingOld(deps, r, subject, spec.run) }
    },
    async context(run) {
      const subject = FailoverSubject.parse(run.record().subject)
      const r = await roleChangeRun(deps, run, summarizeFailover)
      return withCeremonyFallback(deps, r, subject.to)
    },
    compensate: (r) => fenceAfterFailedPromote(deps, r),
    lateCancelNote: FAILOVER_LATE_CANCEL,
  }
}
