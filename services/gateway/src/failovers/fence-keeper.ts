import type { FastifyBaseLogger } from 'fastify'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { lastWalOf } from '../role-changes/cluster-roles.ts'
import type { StoredCluster } from '../store/store.ts'
import { type FenceMeta, type FenceRecord, readFence, writeFence } from './fence-record.ts'

export interface FenceKeeperDeps {
  store: FenceMeta & { listClusters(): Promise<StoredCluster[]>; currentEpoch(): Promise<number> }
  statusOf(cluster: StoredCluster, signal: AbortSignal): Promise<ClusterStatus>
  /**
   * Fences the cluster through its agent (which demotes it), the call carrying the epoch; throws unless demoted.
   * Answers the status read once demoted, when the agent gives it.
   */
  demote(
    cluster: StoredCluster,
    fence: FenceRecord,
    epoch: number,
    signal: AbortSignal,
  ): Promise<ClusterStatus | undefined>
  now: () => number
  log: FastifyBaseLogger
  intervalMs: number
}

export type FenceOutcome =
  | { cluster: string; outcome: 'away' | 'demoted' | 'not_primary' }
  | { cluster: string; outcome: 'failed' | 'not_dr'; detail: string }

/**
 * Enforces fences: every fenced cluster whose agent answers again is demoted before anything else is done with
 * it, the demote carrying the failover's epoch (or a later one). A cluster whose DR was disabled meanwhile cannot
 * be demoted: it is reported, loudly, every round.
 */
export function createFenceKeeper(deps: FenceKeeperDeps) {
  const closing = new AbortController()

  async function enforce(cluster: StoredCluster, fence: FenceRecord): Promise<FenceOutcome> {
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(deps.intervalMs * 4)])
    let status: ClusterStatus
    try {
      status = await deps.statusOf(cluster, signal)
    } catch {
      return { cluster: cluster.name, outcome: 'away' }
    }
    const mode = status.replication?.mode ?? null
    if (!status.vault.reachable || mode === null || mode === 'unknown')
      return { cluster: cluster.name, outcome: 'away' }
    const at = new Date(deps.now()).toISOString()
    if (mode === 'secondary' || mode === 'bootstrapping') {
      await writeFence(deps.store, { ...fence, demoted_at: at })
      return { cluster: cluster.name, outcome: 'not_primary' }
    }
    if (mode !== 'primary') {
      return {
        cluster: cluster.name,
        outcome: 'not_dr',
        detail: `${cluster.name} was failed away from but has DR ${mode}: it may take writes; it cannot be demoted, stop it or take it out of service`,
      }
    }
    const epoch = Math.max(fence.epoch, await deps.store.currentEpoch())
    const lastWal = status.replication?.last_wal ?? null
    // Written before the demote: a demoted cluster no longer reports the WALs it wrote while away.
    if (lastWal !== null && fence.last_wal !== lastWal) await writeFence(deps.store, { ...fence, last_wal: lastWal })
    let demoted: ClusterStatus | undefined
    try {
      demoted = await deps.demote(cluster, fence, epoch, signal)
    } catch (err) {
      return { cluster: cluster.name, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) }
    }
    // Read once demoted (it writes nothing more): the writes it took between the read above and the demote count.
    const finalWal = demoted === undefined ? lastWal : lastWalOf(demoted, lastWal)
    await writeFence(deps.store, {
      ...fence,
      last_wal: finalWal ?? fence.last_wal,
      demoted_at: new Date(deps.now()).toISOString(),
    })
    return { cluster: cluster.name, outcome: 'demoted' }
  }

  async function round(): Promise<FenceOutcome[]> {
    const outcomes: FenceOutcome[] = []
    for (const cluster of await deps.store.listClusters()) {
      const fence = await readFence(deps.store, cluster.name)
      if (fence === undefined || fence.demoted_at !== null) continue
      const outcome = await enforce(cluster, fence)
      outcomes.push(outcome)
      if (outcome.outcome === 'demoted') deps.log.warn({ cluster: cluster.name }, 'fenced old primary demoted')
      else if ('detail' in outcome)
        deps.log.error(
          { cluster: cluster.name, outcome: outcome.outcome, detail: outcome.detail },
          'fence not enforced',
        )
    }
    return outcomes
  }

  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      running = round()
        .catch((err: unknown) => deps.log.warn({ err: (err as Error)?.message }, 'fence round failed'))
        .finally(schedule)
    }, deps.intervalMs)
    timer.unref()
  }
  return {
    round,
    start: schedule,
    async stop() {
      stopped = true
      clearTimeout(timer)
      closing.abort()
      await running
    },
  }
}
