import { isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { AgentStatus, ClusterStatus } from '../agents/agent-types.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { lastWalOf } from '../role-changes/cluster-roles.ts'
import type { StoredCluster } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import { repeatRounds } from '../util/repeat-rounds.ts'
import { type EpochCounter, raiseEpochAbove } from './epoch-floor.ts'
import {
  armFence,
  type FenceRecord,
  type FenceStore,
  fenceKey,
  isArmed,
  readFenceEntry,
  readFences,
  rewriteFence,
  UNREADABLE_FENCE,
} from './fence-record.ts'

/** A status read of a fenced cluster's agent: its cluster, the highest epoch it has seen, and the fence it holds. */
type FencedStatus = ClusterStatus & Partial<Pick<AgentStatus, 'epoch' | 'fenced'>>

/** What a fence call answers when its agent holds the fence but could not demote the cluster yet (its Vault away). */
export class FenceHeldNotDemoted extends Error {}

/**
 * How long a fenced cluster's status is waited for before the fence is sent without it: every status read waits for
 * the agent's Vault, and a Vault that hangs (a paused process, a half-open network) would keep the fence from an
 * agent that answers, which records it at once and demotes the cluster at its Vault's first answer.
 */
export const STATUS_WAIT_MS = 1_000
/**
 * How long a fence sent without a status is waited for: the agent records it before it reads its Vault, and answers
 * only once that read ends (up to its Vault timeout), so a call still unanswered then has most likely landed.
 */
export const UNREAD_FENCE_WAIT_MS = 2_000

export interface FenceKeeperDeps {
  store: FenceStore & EpochCounter & { listClusters(): Promise<StoredCluster[]> }
  statusOf(cluster: StoredCluster, signal: AbortSignal): Promise<FencedStatus>
  /**
   * Fences the cluster through its agent (which records the fence, then demotes it, or retries by itself while it
   * cannot), the call carrying the epoch; throws unless demoted (FenceHeldNotDemoted when the agent answered that it
   * holds the fence). Answers the status read once demoted, when it can.
   */
  demote(
    cluster: StoredCluster,
    fence: FenceRecord,
    epoch: number,
    signal: AbortSignal,
  ): Promise<FencedStatus | undefined>
  now: () => number
  log: FastifyBaseLogger
  intervalMs: number
  /** STATUS_WAIT_MS unless given. */
  statusWaitMs?: number
  /** UNREAD_FENCE_WAIT_MS unless given. */
  unreadFenceWaitMs?: number
}

/**
 * away: its agent does not answer. held: its agent holds the fence and demotes the cluster the moment its Vault
 * answers. sent: the fence was sent to an agent whose Vault does not answer (the next round sees it held). ended:
 * the fence was ended (a rejoin) or replaced since the round read it: nothing was sent. moved: a role change came
 * while the status was read, so that answer is not acted on; the next round (soon) reads again. pending_promote: the
 * failover's promote may not have been sent yet, and the new primary does not answer as one: nothing is done.
 * unregistered: no agent to send it to is known. unreadable: the fence entry cannot be read, so nothing can be sent.
 */
export type FenceOutcome =
  | {
      cluster: string
      outcome:
        | 'away'
        | 'held'
        | 'demoted'
        | 'not_primary'
        | 'ended'
        | 'moved'
        | 'pending_promote'
        | 'unregistered'
        | 'unreadable'
    }
  | { cluster: string; outcome: 'failed' | 'not_dr' | 'sent'; detail: string }

/**
 * How often a fenced cluster whose agent does not answer is asked again (when VAULT_DR_FENCE_CHECK_MS is longer): its
 * agent may come back with the site, its Vault a primary clients write to until the fence reaches it.
 */
export const AWAY_POLL_MS = 100

/**
 * The next round comes after the interval, or after AWAY_POLL_MS while an agent of a fenced cluster is away or its
 * answer was not acted on (moved).
 */
export const nextRoundMs = (outcomes: readonly FenceOutcome[], intervalMs: number) =>
  outcomes.some((o) => o.outcome === 'away' || o.outcome === 'moved' || o.outcome === 'pending_promote')
    ? Math.min(intervalMs, AWAY_POLL_MS)
    : intervalMs

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * Enforces fences: the fence reaches every fenced cluster's agent as soon as the agent answers, whether its Vault
 * does or not (an agent that holds it demotes the cluster the moment its Vault answers, before anything else), and
 * a fenced cluster that answers as a DR primary is demoted with the failover's epoch (or a later one). A cluster
 * whose DR was disabled meanwhile cannot be demoted: it is reported, loudly.
 */
export function createFenceKeeper(deps: FenceKeeperDeps) {
  const closing = new AbortController()

  /**
   * The epoch of the fence's calls: the one taken before the status read (the failover's or the store's then), or
   * above the agent's when the store is behind it (replaced, restored). Undefined when a role change came since that
   * read (a rejoin, a failback): what the round read no longer stands, and the next round reads again.
   */
  async function epochFor(status: FencedStatus, before: number): Promise<number | undefined> {
    if (status.epoch === undefined || status.epoch <= before) return before
    if ((await deps.store.currentEpoch()) > before) return undefined
    return (await raiseEpochAbove(deps.store, before, status.epoch, deps.log)) ?? before
  }

  /** Whether the store still has this very fence pending, read right before its agent is told to act on it. */
  async function stillPending(fence: FenceRecord): Promise<boolean> {
    const now = await readFenceEntry(deps.store, fence.cluster)
    return now !== UNREADABLE_FENCE && now?.failover_id === fence.failover_id && now.demoted_at === null && isArmed(now)
  }

  /**
   * A fence written right before its failover's promote is acted on once the new primary answers as a DR primary:
   * the promote landed, whether or not the gateway that sent it lived to arm the fence. Armed then (compare-and-set).
   */
  async function armedByPromote(fence: FenceRecord, clusters: StoredCluster[]): Promise<boolean> {
    const target = clusters.find((c) => c.name === fence.new_primary)
    if (target === undefined) return false
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(deps.intervalMs * 4)])
    const status = await deps.statusOf(target, signal).catch(() => undefined)
    if (status?.replication?.mode !== 'primary') return false
    return armFence(deps.store, fence.cluster, fence.failover_id)
  }

  async function enforce(cluster: StoredCluster, fence: FenceRecord): Promise<FenceOutcome> {
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(deps.intervalMs * 4)])
    // Taken before the status: a status answered late must not be acted on under an epoch taken after it.
    const before = Math.max(fence.epoch, await deps.store.currentEpoch())
    const status = await statusWithin(cluster, signal)
    if (status === undefined) return sendUnread(cluster, fence, before)
    const ended: FenceOutcome = { cluster: cluster.name, outcome: 'ended' }
    const moved: FenceOutcome = { cluster: cluster.name, outcome: 'moved' }
    const mode = status.replication?.mode ?? null
    if (!status.vault.reachable || mode === null || mode === 'unknown') {
      if (status.fenced != null) return { cluster: cluster.name, outcome: 'held' }
      const epoch = await epochFor(status, before)
      if (epoch === undefined) return moved
      if (!(await stillPending(fence))) return ended
      let demoted: FencedStatus | undefined
      try {
        demoted = await deps.demote(cluster, fence, epoch, signal)
      } catch (err) {
        return { cluster: cluster.name, outcome: 'sent', detail: errorText(err) }
      }
      await recordDemoted(fence, demoted === undefined ? [] : [lastWalOf(demoted, null), demoted.fenced?.last_wal])
      return { cluster: cluster.name, outcome: 'demoted' }
    }
    if (mode === 'secondary' || mode === 'bootstrapping') {
      // Demoted already: by its agent holding the fence, the last WAL it recorded then counts.
      await recordDemoted(fence, [status.fenced?.last_wal])
      return { cluster: cluster.name, outcome: 'not_primary' }
    }
    if (mode !== 'primary') {
      return {
        cluster: cluster.name,
        outcome: 'not_dr',
        detail: `${cluster.name} was failed away from but has DR ${mode}: it may take writes; it cannot be demoted, stop it or take it out of service`,
      }
    }
    const epoch = await epochFor(status, before)
    if (epoch === undefined) return moved
    const lastWal = status.replication?.last_wal ?? null
    // Written before the demote: a demoted cluster no longer reports the WALs it wrote while away. Either write or
    // read confirms the fence is still pending: ended or replaced since the round read it, nothing is sent.
    const pending =
      lastWal !== null && fence.last_wal !== lastWal
        ? await updateFence(fence, () => ({ last_wal: lastWal }))
        : await stillPending(fence)
    if (!pending) return ended
    let demoted: FencedStatus | undefined
    try {
      demoted = await deps.demote(cluster, fence, epoch, signal)
    } catch (err) {
      return { cluster: cluster.name, outcome: 'failed', detail: errorText(err) }
    }
    // Read once demoted (it writes nothing more): the writes it took between the read above and the demote count.
    const after = demoted === undefined ? lastWal : lastWalOf(demoted, lastWal)
    await recordDemoted(fence, [after, demoted?.fenced?.last_wal])
    return { cluster: cluster.name, outcome: 'demoted' }
  }

  /**
   * The cluster's status, or undefined when it gave none within statusWaitMs (bounded by half the round's own
   * deadline, so a short VAULT_DR_FENCE_CHECK_MS still leaves the fence its turn); the read is given up then.
   */
  async function statusWithin(cluster: StoredCluster, signal: AbortSignal): Promise<FencedStatus | undefined> {
    const waitMs = Math.min(deps.statusWaitMs ?? STATUS_WAIT_MS, deps.intervalMs * 2)
    const waited = AbortSignal.any([signal, AbortSignal.timeout(waitMs)])
    return raceAbort(deps.statusOf(cluster, waited), waited).catch(() => undefined)
  }

  /**
   * The fence sent to an agent that gave no status: down (it refuses the call too: away), or up with a Vault that
   * hangs, when it records the fence and demotes the cluster at its Vault's first answer (sent), rather than after the
   * status read that would have waited for that answer. Sent with the epoch taken before the read; an agent that has
   * seen a higher one refuses it, and the next status read raises the store's above it.
   */
  async function sendUnread(cluster: StoredCluster, fence: FenceRecord, epoch: number): Promise<FenceOutcome> {
    if (!(await stillPending(fence))) return { cluster: cluster.name, outcome: 'ended' }
    // Its own deadline: what is left of the round's would not let a call reach an agent waiting on its Vault.
    const waited = AbortSignal.timeout(deps.unreadFenceWaitMs ?? UNREAD_FENCE_WAIT_MS)
    const signal = AbortSignal.any([closing.signal, waited])
    let demoted: FencedStatus | undefined
    try {
      demoted = await raceAbort(deps.demote(cluster, fence, epoch, signal), signal)
    } catch (err) {
      if (closing.signal.aborted) throw err
      if (err instanceof FenceHeldNotDemoted) return { cluster: cluster.name, outcome: 'sent', detail: err.message }
      // Not reached (refused, unresolved): away. Sent and not answered in time: most likely held by now.
      if (!waited.aborted && !isCodedError(err, GatewayErrors.agentTimeout.code)) {
        return { cluster: cluster.name, outcome: 'away' }
      }
      const detail = `${cluster.name}'s agent took the fence and has not answered yet: it demotes the cluster at its Vault's first answer`
      return { cluster: cluster.name, outcome: 'sent', detail }
    }
    await recordDemoted(fence, demoted === undefined ? [] : [lastWalOf(demoted, null), demoted.fenced?.last_wal])
    return { cluster: cluster.name, outcome: 'demoted' }
  }

  /**
   * Writes over the fence as the store has it now, unless it was ended (a rejoin cleared it) or replaced (another
   * failover) since the round read it, even in the moment between that read and the write (compare-and-set): the
   * copy the round started with is never written back.
   */
  function updateFence(fence: FenceRecord, patch: (now: FenceRecord) => Partial<FenceRecord>): Promise<boolean> {
    return rewriteFence(deps.store, fence.cluster, fence.failover_id, (now) => ({ ...now, ...patch(now) }))
  }

  /** The fence's cluster is demoted; its last WAL: the highest known of the fence's and these readings. */
  async function recordDemoted(fence: FenceRecord, readings: Array<number | null | undefined>) {
    await updateFence(fence, (now) => {
      const seen = [now.last_wal, ...readings].filter((n): n is number => typeof n === 'number')
      return { last_wal: seen.length === 0 ? null : Math.max(...seen), demoted_at: new Date(deps.now()).toISOString() }
    })
  }

  /** Each cluster's last outcome: a change is logged, the same outcome round after round is not. */
  const last = new Map<string, string>()
  function report(outcome: FenceOutcome): void {
    const detail = 'detail' in outcome ? outcome.detail : ''
    const key = `${outcome.outcome}\u0000${detail}`
    if (last.get(outcome.cluster) === key) return
    last.set(outcome.cluster, key)
    const fields = { cluster: outcome.cluster, outcome: outcome.outcome, ...(detail === '' ? {} : { detail }) }
    if (outcome.outcome === 'demoted') deps.log.warn(fields, 'fenced old primary demoted')
    else if (outcome.outcome === 'failed' || outcome.outcome === 'not_dr') deps.log.error(fields, 'fence not enforced')
    else if (outcome.outcome === 'unregistered')
      deps.log.error(fields, 'fence not enforced: the cluster is not registered, so no agent to send it to is known')
    else if (outcome.outcome === 'unreadable')
      deps.log.error(
        { ...fields, key: fenceKey(outcome.cluster) },
        'fence not enforced: its record cannot be read (damaged, or written by a newer gateway); the cluster is neither confirmed to its balancers nor deregistered while it stays so',
      )
    else if (outcome.outcome === 'ended')
      deps.log.info(fields, 'fence ended or replaced since it was read: nothing sent')
    else if (outcome.outcome === 'moved') deps.log.info(fields, 'a role change came during the status read: read again')
    else deps.log.info(fields, 'fence pending')
  }

  async function round(): Promise<FenceOutcome[]> {
    const fenced: Array<[StoredCluster, FenceRecord]> = []
    // The fences first, in one read: the clusters are listed only while one is still to enforce.
    const fences = await readFences(deps.store)
    const pending = [...fences.values()].filter((f) => f.demoted_at === null)
    const clusters = pending.length === 0 ? [] : await deps.store.listClusters()
    for (const name of last.keys()) if (!pending.some((f) => f.cluster === name)) last.delete(name)
    // A fence of a cluster not registered (deregistered in a store written before that was refused) has no agent to
    // reach: said, as its Vault may come back a second writable primary.
    const unregistered: FenceOutcome[] = []
    for (const fence of pending) {
      const cluster = clusters.find((c) => c.name === fence.cluster)
      if (cluster !== undefined) fenced.push([cluster, fence])
      else if (isArmed(fence)) unregistered.push({ cluster: fence.cluster, outcome: 'unregistered' })
    }
    const enforceArmed = async (cluster: StoredCluster, fence: FenceRecord): Promise<FenceOutcome> => {
      if (isArmed(fence)) return enforce(cluster, fence)
      if (!(await armedByPromote(fence, clusters))) return { cluster: cluster.name, outcome: 'pending_promote' }
      return enforce(cluster, { ...fence, pending_promote: false })
    }
    // At once: an agent that does not answer must not hold up the fence of another that does, nor one cluster's
    // error drop the others' outcomes (an away agent's among them, asked again every AWAY_POLL_MS).
    const settled = await Promise.allSettled(fenced.map(([cluster, fence]) => enforceArmed(cluster, fence)))
    const outcomes = [
      ...settled.map(
        (r, i): FenceOutcome =>
          r.status === 'fulfilled'
            ? r.value
            : { cluster: fenced[i]?.[0].name ?? '?', outcome: 'failed', detail: errorText(r.reason) },
      ),
      ...unregistered,
      ...[...fences.unreadable].map((cluster): FenceOutcome => ({ cluster, outcome: 'unreadable' })),
    ]
    for (const outcome of outcomes) report(outcome)
    return outcomes
  }

  const rounds = repeatRounds({
    round,
    nextMs: (outcomes) => nextRoundMs(outcomes, deps.intervalMs),
    everyMs: deps.intervalMs,
    log: deps.log,
    what: 'fence',
    onStop: () => closing.abort(),
  })
  return {
    round,
    // The first round comes at once: fences recorded before this gateway started (or by another) are pending now.
    start: () => rounds.start(Math.min(deps.intervalMs, AWAY_POLL_MS)),
    stop: rounds.stop,
  }
}
