import type { OperationRecord } from '../operations/operation-record.ts'
import { newLeg, reversed } from '../role-changes/leg.ts'
import type { SwitchoverDeps } from '../switchovers/switchover-deps.ts'
import { describeLeg } from '../switchovers/switchover-plan.ts'
import {
  createUnderKey,
  inspectUnheldPair,
  newRoleChangeRecord,
  refuseFailedChecks,
} from '../switchovers/switchovers.service.ts'
import { drillNeededS } from './drill.kind.ts'
import { drillSteps } from './drill-plan.ts'
import type { CreateDrillBody, DrillPlan, DrillSubject } from './drills.schemas.ts'

export type DrillsService = ReturnType<typeof createDrillsService>

/** Plans (dry run) and starts drills (a switchover there, a hold, a switchover back); the operations engine runs them. */
export function createDrillsService(deps: SwitchoverDeps) {
  const subjectOf = (body: CreateDrillBody, from: string, to: string): DrillSubject => ({
    from,
    to,
    hold: body.hold,
    check_interval: body.check_interval,
    pre_hook_url: body.pre_hook_url ?? null,
    post_hook_url: body.post_hook_url ?? null,
    catch_up_timeout: body.catch_up_timeout,
  })

  async function plan(body: CreateDrillBody) {
    const ask = { to: body.to, from: body.from, roundTrip: true }
    const found = await inspectUnheldPair(deps, ask, drillNeededS(deps, subjectOf(body, '', ''), 1))
    const out = {
      ...newLeg(found.from, found.to, found.toSecondaryId, found.followers),
      replication_cluster_id: found.replicationClusterId,
    }
    const back = { ...reversed(out), replication_cluster_id: found.replicationClusterId }
    const legs: [typeof out, typeof back] = [out, back]
    const steps = drillSteps({
      legs,
      preHook: body.pre_hook_url !== undefined,
      postHook: body.post_hook_url !== undefined,
    })
    return { found, legs, steps }
  }

  return {
    async plan(body: CreateDrillBody): Promise<DrillPlan> {
      const { found, legs, steps } = await plan(body)
      return {
        ok: found.ok,
        from: found.from,
        to: found.to,
        hold: body.hold,
        check_interval: body.check_interval,
        followers: found.followers,
        steps,
        checks: found.checks,
        what_happens: [
          ...(body.pre_hook_url === undefined ? [] : ['call the pre-hook; a refusal stops here, nothing changed']),
          ...describeLeg(legs[0], body.catch_up_timeout),
          `hold for ${body.hold}: ${found.to} serves as the primary, and its agent checks every ${body.check_interval} that it accepts a write; a cancellation cuts the hold short and the drill switches back at once`,
          ...describeLeg(legs[1], body.catch_up_timeout),
          "report each leg's write-unavailable window (RTO) and WALs lost (RPO), the hold's write checks and the checks that warned",
          ...(body.post_hook_url === undefined
            ? []
            : ["call the post-hook with each leg's RTO and RPO (a failure is a warning)"]),
        ],
      }
    },

    /** created: a new drill (202); a replay of its Idempotency-Key with the same body: the same one (200). */
    async create(body: CreateDrillBody, key: string | undefined) {
      return createUnderKey(deps, 'drill', key, body, async () => {
        const { found, legs, steps } = await plan(body)
        refuseFailedChecks(found)
        const record = newRoleChangeRecord(deps, 'drill', body, key, {
          clusters: [found.from, found.to, ...found.followers.slice(1).map((f) => f.cluster)],
          subject: subjectOf(body, found.from, found.to),
          data: { legs, checks: found.checks, warnings: [], write_unavailable_ms: null, wals_lost: null },
          steps,
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },
  }
}
