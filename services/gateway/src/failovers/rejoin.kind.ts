import type { OperationKind, StepSpec } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { parseRoleStep } from '../role-changes/role-step-names.ts'
import { roleStepSpec } from '../role-changes/role-steps.ts'
import { type RoleChangeRun, type RunData, roleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { RejoinSubject } from './failovers-subject.ts'
import { leftBehindPreflight, recordLeftBehindPair } from './rejoin-left-behind.ts'
import { endFence, rejoinPreflight } from './rejoin-steps.ts'
import { issuedWhenExpired } from './rejoin-token.ts'

export const REJOIN_STEPS = ['preflight', 'rejoin_old_primary', 'end_fence'] as const

const summarizeRejoin = (data: RunData): Partial<RunData> => ({ wals_lost: data.legs[0]?.wals_lost ?? null })

/**
 * A rejoin as an operation: a fenced old primary becomes a DR secondary of the primary a failover promoted, without
 * a wipe (a public key from it, a token minted for it on the new primary, update-primary with the DR operation
 * token), then its fence is lifted. A failback is an ordinary switchover after it. A cluster a failed operation left
 * behind (`left_by`) is re-pointed the same way; it has no fence, so its last step records the pair only.
 */
export function rejoinKind(deps: FailoverDeps): OperationKind<OperationRecord, RoleChangeRun> {
  return {
    kind: 'rejoin',
    createdBy: 'POST /v1/rejoins',
    step(name, record): StepSpec<RoleChangeRun> {
      const subject = RejoinSubject.parse(record.subject)
      const leftBehind = subject.failover_id === null
      if (name === 'preflight') {
        const run = leftBehind ? leftBehindPreflight : rejoinPreflight
        return { name, run: (r) => run(deps, r, subject), interruptible: true, cancellable: true }
      }
      if (name === 'end_fence') return { name, run: (r) => endFence(deps, r, subject), pastPointOfNoReturn: true }
      if (name === 'record_pair' && leftBehind) {
        return { name, run: (r) => recordLeftBehindPair(deps, r, subject), pastPointOfNoReturn: true }
      }
      const parsed = parseRoleStep(name, [''])
      if (parsed === undefined) throw new Error(`a rejoin has no step ${name}`)
      return roleStepSpec(name, parsed, 0, (r) => r.roles)
    },
    context: async (run) => issuedWhenExpired(deps, await roleChangeRun(deps, run, summarizeRejoin)),
  }
}
