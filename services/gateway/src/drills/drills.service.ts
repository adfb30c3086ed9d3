import type { OperationRecord } from '../operations/operation-record.ts'
import { newLeg, reversed } from '../role-changes/leg.ts'
import type { SwitchoverDeps } from '../switchovers/switchover-deps.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { createUnderKey, inspectUnheldPair, newRoleChangeRecord } from '../switchovers/switchovers.service.ts'
import { drillNeededS } from './drill.kind.ts'
import { drillSteps } from './drill-plan.ts'
import type { CreateDrillBody, DrillSubject } from './drills.schemas.ts'

export type DrillsService = ReturnType<typeof createDrillsService>

/** Starts drills (a switchover there, a hold, a switchover back); the operations engine runs them. */
export function createDrillsService(deps: SwitchoverDeps) {
  return {
    /** created: a new drill (202); a replay of its Idempotency-Key with the same body: the same one (200). */
    async create(body: CreateDrillBody, key: string | undefined) {
      return createUnderKey(deps, 'drill', key, body, async () => {
        const subjectOf = (from: string, to: string): DrillSubject => ({
          from,
          to,
          hold: body.hold,
          check_interval: body.check_interval,
          pre_hook_url: body.pre_hook_url ?? null,
          post_hook_url: body.post_hook_url ?? null,
          catch_up_timeout: body.catch_up_timeout,
        })
        const neededS = drillNeededS(deps, subjectOf('', ''), 1)
        const found = await inspectUnheldPair(deps, body, neededS)
        if (!found.ok) {
          const failed = found.checks.filter((c) => c.status === 'fail')
          throw SwitchoverErrors.preflightFailed(failed.map((c) => `${c.name}: ${c.detail}`).join('; '), {
            ...(failed[0]?.fix ? { fix: failed[0].fix } : {}),
          })
        }
        const out = {
          ...newLeg(found.from, found.to, found.toSecondaryId, found.followers),
          replication_cluster_id: found.replicationClusterId,
        }
        const back = { ...reversed(out), replication_cluster_id: found.replicationClusterId }
        const record = newRoleChangeRecord(deps, 'drill', body, key, {
          clusters: [found.from, found.to, ...found.followers.slice(1).map((f) => f.cluster)],
          subject: subjectOf(found.from, found.to),
          data: { legs: [out, back], checks: found.checks, warnings: [], write_unavailable_ms: null, wals_lost: null },
          steps: drillSteps({
            legs: [out, back],
            preHook: body.pre_hook_url !== undefined,
            postHook: body.post_hook_url !== undefined,
          }),
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },
  }
}
