import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'
import type { PairsService } from '../pairs/pairs.service.ts'
import type { StoredCluster } from '../store/store.ts'
import { estimateLoss, type LossEstimate, type SecondarySide } from './data-loss.ts'
import { composePlan } from './failover-plan.ts'
import { durationMs, type FailoverPlan, type PlanFailoverBody } from './failovers.schemas.ts'
import { type FenceMeta, readFenceEntry } from './fence-record.ts'
import type { FollowerRead } from './follower-items.ts'
import { FollowerStreamWatch } from './follower-streams.ts'
import { oldPrimaryFence } from './old-primary-fence.ts'
import type { PeerContact } from './primary-contact.ts'
import { judgePrimary, type SelfFence } from './primary-down.ts'
import { probePrimaryFromSecondary } from './primary-probe.ts'
import type { SelfFenceSettings } from './self-fence-record.ts'
import type { TrackedView, VantageHistory } from './vantage-history.ts'
import { gatewayView, primaryAgentView, secondaryAgentView, secondaryVaultView } from './vantage-points.ts'

export interface PlannerDeps {
  pairs: PairsService
  clusters: ClustersService
  agents: AgentClients
  history: VantageHistory
  /** The agents' self-fencing settings as last seen (the old primary's agent does not answer at failover time). */
  selfFences: SelfFenceSettings
  now: () => number
  /** The lag a readiness check tolerates; a failover's own rule on loss is the data_loss item. */
  maxLagWals: number
  /** How long before the primary was first seen unreachable its last read still stands for its last state. */
  maxReadGapMs: number
  /** When other gateways on the store last reached the primary (primary-contact.ts); none by default. */
  peerContacts?: (primary: string) => Promise<PeerContact[]>
  /** Where the fences of earlier failovers are recorded (the store). */
  fences: Pick<FenceMeta, 'getMeta'>
}

/**
 * Feeds the vantage history from every pair view the gateway reads (upkeep, pairs API, plans), and keeps what each
 * side's agent said of its self-fencing.
 */
export function observePairFor(history: VantageHistory, selfFences: SelfFenceSettings, now: () => number) {
  return (pair: Pair) => {
    const at = now()
    for (const side of [pair.clusters.primary, pair.clusters.secondary]) {
      if (side.fence_on_isolation_ms === undefined) continue
      selfFences.seen(
        side.name,
        side.fence_on_isolation_ms,
        side.checked_at === null ? at : Date.parse(side.checked_at),
      )
    }
    const primary = pair.clusters.primary
    if (primary.mode === 'primary' && pair.lag.primary_last_wal !== null && primary.checked_at !== null) {
      history.sawWal(pair.primary, pair.lag.primary_last_wal, Date.parse(primary.checked_at))
    }
    history.track(pair.primary, [gatewayView(pair), primaryAgentView(pair), secondaryVaultView(pair, at)], at)
  }
}

/**
 * The loss estimate against the primary's newest reading, this gateway's or the store's, and since when the primary is
 * lost: as this gateway's vantage points see it now, or as kept with that reading (by this gateway before a restart,
 * or by another gateway on the same store).
 */
export async function lossSeen(
  history: VantageHistory,
  primary: string,
  secondary: SecondarySide,
  views: readonly TrackedView[],
  at: number,
  maxGapMs: number,
): Promise<LossEstimate> {
  const read = await history.lastWal(primary)
  const lost = views.filter((v) => v.reaches === false).map((v) => Date.parse(v.since))
  if (read?.lost_since != null) lost.push(read.lost_since)
  return estimateLoss(read, secondary, at, {
    lostSince: lost.length === 0 ? null : Math.min(...lost),
    aliveAt: read?.alive_at ?? null,
    maxGapMs,
  })
}

export type FailoverPlanner = ReturnType<typeof createFailoverPlanner>

/**
 * The plan of a failover to a secondary, from every vantage point at once: the pair's readiness (which reads both
 * agents and records what the gateway and the secondary see), and the secondary agent's probe of the primary.
 */
export function createFailoverPlanner(deps: PlannerDeps) {
  const { pairs, clusters, agents, history, now, maxLagWals } = deps
  const followerStreams = new FollowerStreamWatch()
  const readFollowers = async (followerClusters: readonly StoredCluster[]): Promise<FollowerRead[]> => {
    const statuses = await Promise.all(followerClusters.map((c) => pairs.secondaryStatus(c)))
    return followerClusters.map((c, i) => ({ name: c.name, status: statuses[i] }))
  }
  return async function plan(body: PlanFailoverBody, signal: AbortSignal): Promise<FailoverPlan> {
    const members = await pairs.members(body.to)
    const [readiness, status, followerReads] = await Promise.all([
      pairs.readiness(body.to, maxLagWals),
      pairs.secondaryStatus(members.secondary),
      readFollowers(members.followerClusters),
    ])
    const client = agents.secondary(clusters.targetOf(members.secondary))
    const probe = await probePrimaryFromSecondary(client, status, signal)
    const { pair } = readiness
    const at = now()
    const views = history.track(
      pair.primary,
      [gatewayView(pair), primaryAgentView(pair), secondaryAgentView(probe), secondaryVaultView(pair, at)],
      at,
    )
    const seen = oldPrimaryFence(
      pair,
      pair.clusters.primary.agent_reachable ? undefined : await deps.selfFences.lastSeen(pair.primary),
    )
    // A self-fencing old primary: its other secondaries, one still streaming from it keeps its agent from fencing it.
    const followers = seen.within_ms === null ? undefined : followerStreams.observe(pair.primary, followerReads, at)
    const fence = followers === undefined ? seen : { ...seen, followers_unknown: followers.unknown }
    const selfFence: SelfFence | null =
      followers === undefined || fence.within_ms === null ? null : { withinMs: fence.within_ms, followers }
    const peers = (await deps.peerContacts?.(pair.primary)) ?? []
    const verdict = judgePrimary(views, at, durationMs(body.down_for), selfFence, peers)
    const loss = await lossSeen(
      history,
      pair.primary,
      { last_remote_wal: pair.lag.secondary_last_remote_wal, heartbeat_age_s: pair.heartbeat_age_s },
      views,
      at,
      deps.maxReadGapMs,
    )
    return composePlan({
      pair,
      earlierFailover: await readFenceEntry(deps.fences, pair.primary),
      readiness: readiness.checks,
      views,
      verdict,
      loss,
      followers: members.followers,
      followerReads,
      allowDataLoss: body.allow_data_loss,
      fence,
    })
  }
}
