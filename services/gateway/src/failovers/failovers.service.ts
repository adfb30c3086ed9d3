import { GatewayErrors } from '../gateway-errors.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { newLeg } from '../role-changes/leg.ts'
import { createUnderKey, newRoleChangeRecord } from '../switchovers/switchovers.service.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors, refuseUnlessAllowed } from './failover-errors.ts'
import { planSummary } from './failover-preflight.step.ts'
import type { CreateFailoverBody, CreateRejoinBody, FailoverSubject, RejoinSubject } from './failovers-subject.ts'
import { readFence } from './fence-record.ts'
import { REJOIN_STEPS } from './rejoin.kind.ts'

const emptyData = { checks: [], warnings: [], write_unavailable_ms: null, wals_lost: null }

/** Starts failovers (after their plan allows them) and rejoins of fenced old primaries; the engine runs them. */
export function createFailoversService(deps: FailoverDeps) {
  return {
    /** created: a new failover (202); a replay of its Idempotency-Key with the same body: the same one (200). */
    async createFailover(body: CreateFailoverBody, key: string | undefined, signal: AbortSignal) {
      return createUnderKey(deps, 'failover', key, body, async () => {
        const plan = await deps.planner(body, signal)
        refuseUnlessAllowed(plan)
        const paired = await deps.store.pairedSecondaries()
        const followers = plan.followers.map((cluster) => ({
          cluster,
          secondary_id: paired.find((p) => p.secondary === cluster)?.secondary_id ?? cluster,
        }))
        const subject: FailoverSubject = {
          from: plan.primary,
          to: plan.secondary,
          down_for: body.down_for,
          allow_data_loss: body.allow_data_loss,
        }
        const leg = {
          ...newLeg(plan.primary, plan.secondary, plan.pair.secondary_id, followers),
          replication_cluster_id: plan.pair.clusters.secondary.replication_cluster_id,
        }
        const data = { ...emptyData, legs: [leg], plan: planSummary(plan) }
        const record = newRoleChangeRecord(deps, 'failover', body, key, {
          clusters: [plan.primary, plan.secondary, ...plan.followers],
          subject,
          data,
          steps: plan.steps,
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },

    async createRejoin(body: CreateRejoinBody, key: string | undefined) {
      return createUnderKey(deps, 'rejoin', key, body, async () => {
        if ((await deps.store.getCluster(body.cluster)) === undefined) {
          throw GatewayErrors.unknownCluster(`No cluster named ${body.cluster} is registered (body/cluster)`)
        }
        const fence = await readFence(deps.store, body.cluster)
        if (fence === undefined) {
          throw FailoverErrors.notFenced(`No failover fenced ${body.cluster}: it is not an old primary to rejoin`)
        }
        const subject: RejoinSubject = {
          cluster: body.cluster,
          primary: fence.new_primary,
          failover_id: fence.failover_id,
        }
        const leg = newLeg(body.cluster, fence.new_primary, body.cluster, [
          { cluster: body.cluster, secondary_id: body.cluster },
        ])
        const record = newRoleChangeRecord(deps, 'rejoin', body, key, {
          clusters: [body.cluster, fence.new_primary],
          subject,
          data: { ...emptyData, legs: [leg] },
          steps: [...REJOIN_STEPS],
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },
  }
}
