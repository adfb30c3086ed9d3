import { GatewayErrors } from '../gateway-errors.ts'
import { refuseIfHeld } from '../operations/cluster-busy.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { type Leg, newLeg } from '../role-changes/leg.ts'
import { createUnderKey, newRoleChangeRecord } from '../switchovers/switchovers.service.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors, refuseUnlessAllowed } from './failover-errors.ts'
import { planSummary } from './failover-preflight.step.ts'
import type { CreateFailoverBody, CreateRejoinBody, FailoverSubject, RejoinSubject } from './failovers-subject.ts'
import { readFence } from './fence-record.ts'
import { leftBehind } from './left-behind.ts'
import { REJOIN_STEPS } from './rejoin.kind.ts'
import { LEFT_BEHIND_REJOIN_STEPS } from './rejoin-left-behind.ts'
import { primaryNow } from './rejoin-primary.ts'

const emptyData = { checks: [], warnings: [], write_unavailable_ms: null, wals_lost: null }

/**
 * Starts failovers (after their plan allows them) and rejoins of fenced old primaries or of clusters a failed role
 * change left behind; the engine runs them.
 */
export function createFailoversService(deps: FailoverDeps) {
  return {
    /** created: a new failover (202); a replay of its Idempotency-Key with the same body: the same one (200). */
    async createFailover(body: CreateFailoverBody, key: string | undefined, signal: AbortSignal) {
      return createUnderKey(deps, 'failover', key, body, async () => {
        // An operation under way on the secondary is named first: the plan would judge the pair as it left it.
        await refuseIfHeld(deps.store, [body.to])
        const plan = await deps.planner(body, signal)
        refuseUnlessAllowed(plan)
        await refuseIfHeld(deps.store, [plan.primary, ...plan.followers])
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
        const start =
          fence === undefined
            ? await leftBehindStart(deps, body.cluster)
            : fencedStart(body.cluster, fence, await primaryNow(deps, body.cluster, fence.new_primary))
        const record = newRoleChangeRecord(deps, 'rejoin', body, key, {
          clusters: [body.cluster, start.subject.primary],
          subject: start.subject,
          data: { ...emptyData, legs: [start.leg] },
          steps: start.steps,
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },
  }
}

interface RejoinStart {
  subject: RejoinSubject
  leg: Leg
  steps: string[]
}

/** The rejoin of an old primary a failover fenced: it follows `primary`, the DR primary of its replication set now. */
function fencedStart(cluster: string, fence: { failover_id: string }, primary: string): RejoinStart {
  return {
    subject: { cluster, primary, failover_id: fence.failover_id },
    leg: newLeg(cluster, primary, cluster, [{ cluster, secondary_id: cluster }]),
    steps: [...REJOIN_STEPS],
  }
}

/**
 * The rejoin of a cluster the newest operation on it left behind (it failed after promoting the primary the cluster
 * was to follow); refused when there is none. An operation still holding the cluster is named, as its lock would.
 */
async function leftBehindStart(deps: FailoverDeps, cluster: string): Promise<RejoinStart> {
  await refuseIfHeld(deps.store, [cluster])
  const [latest] = await deps.store.listOperations({ cluster, limit: 1 })
  const left = leftBehind(cluster, latest)
  if (left === undefined) {
    const newest =
      latest === undefined
        ? 'no operation held it'
        : `the newest operation on it, ${latest.kind} ${latest.id}, ${latest.state}`
    throw FailoverErrors.notFenced(
      `No failover fenced ${cluster}, and ${newest}: it is neither an old primary to rejoin nor a cluster left behind`,
    )
  }
  return {
    subject: { cluster, primary: left.primary, failover_id: null, left_by: left.left_by },
    leg: {
      ...newLeg(cluster, left.primary, cluster, [{ cluster, secondary_id: left.secondary_id }]),
      replication_cluster_id: left.replication_cluster_id,
      wals_lost: left.wals_lost,
      ...(left.repoint_sent ? { repoint_sent: [cluster] } : {}),
    },
    steps: [...LEFT_BEHIND_REJOIN_STEPS],
  }
}
