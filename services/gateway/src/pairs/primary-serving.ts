import { type AgentClients, type AgentTarget, clusterAgent } from '../agents/agent-clients.ts'
import { type FenceMeta, readFences } from '../failovers/fence-record.ts'

export interface PrimaryServingStore extends FenceMeta {
  currentEpoch(): Promise<number>
  operationHolding(cluster: string): Promise<unknown>
}

/**
 * Confirms each primary's role to its agent, so its load balancers' check (getServing) serves it again when nothing
 * else can say it is still the primary (its agent restarted, or its Vault was away, while no DR secondary was
 * connected). The reads come in this order, each before the next:
 * 1. getServing: only a primary it answers `unconfirmed` needs confirming, with the episode it answered; the agent
 *    refuses the confirmation once its Vault was unanswered, sealed or slow since (a failover it could not see).
 * 2. The unfinished operations: a failover under way writes its fence only right before its promote.
 * 3. The fences and the epoch: a fenced primary is never confirmed, nor one whose fence entry cannot be read.
 * A refused confirmation (fenced, stale, another episode), or an agent away, changes nothing: the names of those not
 * confirmed are answered.
 */
export async function confirmPrimaries(
  deps: { store: PrimaryServingStore; agents: AgentClients; now: () => number; signal: AbortSignal },
  primaries: AgentTarget[],
): Promise<string[]> {
  const views = await Promise.all(
    primaries.map(async (target) => ({
      target,
      view: await clusterAgent(deps.agents, target)
        .serving(deps.signal)
        .catch(() => undefined),
    })),
  )
  const unanswered = views.filter((v) => v.view === undefined).map((v) => v.target.cluster)
  const waiting = views.flatMap(({ target, view }) =>
    view?.reason === 'unconfirmed' ? [{ target, episode: view.episode }] : [],
  )
  if (waiting.length === 0) return unanswered
  const checkedAt = new Date(deps.now()).toISOString()
  const held = await heldByOperations(
    deps.store,
    waiting.map((w) => w.target.cluster),
  )
  const [fences, epoch] = await Promise.all([readFences(deps.store), deps.store.currentEpoch()])
  const refused = await Promise.all(
    waiting
      .filter(({ target }) => !held.has(target.cluster) && !fences.covers(target.cluster))
      .map(async ({ target, episode }) => {
        try {
          await clusterAgent(deps.agents, target).confirmServing(
            { checked_at: checkedAt, episode },
            { epoch, signal: deps.signal },
          )
          return undefined
        } catch {
          return target.cluster
        }
      }),
  )
  return [...unanswered, ...refused.filter((name): name is string => name !== undefined)]
}

/** The clusters an unfinished operation holds (its lock on each, held from its creation until it finished). */
async function heldByOperations(store: PrimaryServingStore, clusters: string[]): Promise<Set<string>> {
  const held = await Promise.all(
    clusters.map(async (cluster) => ((await store.operationHolding(cluster)) === undefined ? undefined : cluster)),
  )
  return new Set(held.filter((cluster): cluster is string => cluster !== undefined))
}
