import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { parseMetaRecord } from '../store/meta-record.ts'
import type { StoredCluster } from '../store/store.ts'
import { repeatRounds } from '../util/repeat-rounds.ts'
import { type FenceStore, isArmed, readFences } from './fence-record.ts'

/**
 * How recent another gateway's contact with a primary must be to count as "it still reaches it": a few of its rounds
 * (VAULT_DR_PRIMARY_CONTACT_MS, at most 3 s) and a margin for a slow store.
 */
export const PEER_CONTACT_FRESH_MS = 10_000

/**
 * A contact record this gateway saw unchanged for this long is deleted: its writer stopped reaching that primary (or
 * left, or the cluster is no primary any more), and gateways named by host (pods) would otherwise leave one per name.
 */
export const CONTACT_RECORD_KEEP_MS = 60 * 60_000

/** The longest VAULT_DR_PRIMARY_CONTACT_MS: a third of the shortest self-fencing duration an agent accepts (10 s). */
export const MAX_PRIMARY_CONTACT_MS = 3_000

/**
 * How long after this gateway last asked the store's quorum (the round's ping, sent after its other store reads) it may
 * still send a read marked as quorum contact. A gateway paused past it (a freeze, a long GC) while its site was cut off
 * would otherwise, on waking, reset a cut-off primary's isolation clock late, unseen by the gateways whose failover
 * waits for that primary to fence itself. With the 2 s a marked read may take, such a contact lands at most 4 s late:
 * within the two checks the failover's wait adds (selfFenceWithinMs). Longer than the ping's own deadline (1.5 s), so
 * a store that answers slowly does not stop the contacts.
 */
export const CONTACT_AFTER_QUORUM_MS = 2_000

/**
 * When a gateway last reached a primary's agent with a marked read the agent answered (so counted as contact), and
 * whether its Vault answered as a live DR primary then (records written before `live` was kept were live ones).
 */
const ContactRecord = z.object({ gateway: z.string(), at: z.iso.datetime(), live: z.boolean().default(true) })
export type ContactRecord = z.infer<typeof ContactRecord>

const contactPrefix = (cluster: string) => `contact/${cluster}/`
const contactKey = (cluster: string, gateway: string) => `${contactPrefix(cluster)}${gateway}`

/**
 * A gateway's last contact with the primary: when this gateway saw its record change, on this gateway's own clock
 * (the records' times are the writers', and gateways' clocks may differ). This gateway's own records are among them.
 */
export interface PeerContact {
  gateway: string
  at: number
  /** Its Vault answered as a live DR primary (else the agent answered, and counted the contact, but not Vault). */
  live: boolean
  /** Written by this gateway. */
  own: boolean
}

export interface PrimaryContactDeps {
  store: FenceStore & { ping(): Promise<void>; listClusters(): Promise<StoredCluster[]> }
  /**
   * A status read of the cluster's agent marked as quorum contact (what its isolation monitor counts as contact), given
   * up on after `withinMs` (the agent counts no answer sent later).
   */
  statusOf(cluster: StoredCluster, signal: AbortSignal, withinMs: number): Promise<ClusterStatus>
  gatewayId: string
  /**
   * What each read of a primary's agent showed (its status, or undefined: no answer in time), at `at`: the vantage
   * history's gateway and primary agent views, every round rather than only when a pair is read.
   */
  observe?: (cluster: string, status: ClusterStatus | undefined, at: number) => void
  /** The primaries of each round, as the store has them (none an armed fence holds), before they are read. */
  onPrimaries?: (names: string[]) => void
  intervalMs: number
  /** How long one agent may take to answer. */
  timeoutMs: number
  now: () => number
  /** A clock that never jumps (pruning ages records by it); performance.now by default. */
  monotonic?: () => number
  log: FastifyBaseLogger
}

const alivePrimary = (s: ClusterStatus) =>
  s.vault.reachable && s.vault.sealed === false && s.replication?.mode === 'primary'

/**
 * Keeps in touch with every registered DR primary that is not fenced, every VAULT_DR_PRIMARY_CONTACT_MS, and only
 * while this gateway reaches the store's quorum (a linearizable read first): an agent that fences its cluster on
 * isolation counts these calls as the quorum side reaching it, so it fires only when no such gateway does (the pairs
 * upkeep, once a minute, is too rare for a fence of 10 s). Each contact with a live primary is written to the store
 * (`contact/<cluster>/<gateway>`), so a gateway that no longer reaches that primary knows another still does: a
 * partition between gateways' sites, not a lost site (judgePrimary). A gateway judges how recent a peer's contact is
 * by when it saw that record change, on its own clock, never by the time written in it.
 */
export function createPrimaryContact(deps: PrimaryContactDeps) {
  const closing = new AbortController()
  const monotonic = deps.monotonic ?? (() => performance.now())
  let quorumLost = false
  /**
   * Each contact record by key, as stored, with when this gateway saw it take its current value: on the clock the
   * verdicts use, and on the monotonic clock pruning ages records by (a wall clock that jumps deletes nothing live).
   */
  const seen = new Map<string, { raw: string; record: ContactRecord; changedAt: number; changedMono: number }>()
  /** When the records were last read (monotonic), undefined before the first read. */
  let observedMono: number | undefined

  /** Reads every contact record: a new one, or one whose time moved, counts as a contact now. */
  async function observe(): Promise<void> {
    const [now, mono] = [deps.now(), monotonic()]
    const stored = await deps.store.metaUnder('contact/')
    for (const [key, raw] of stored) {
      const record = parseMetaRecord(ContactRecord, raw)
      if (record === undefined) continue
      if (seen.get(key)?.raw !== raw) seen.set(key, { raw, record, changedAt: now, changedMono: mono })
    }
    for (const key of seen.keys()) if (!stored.has(key)) seen.delete(key)
    observedMono = mono
  }

  /** Deletes the records seen unchanged for CONTACT_RECORD_KEEP_MS, each only while it still is as seen. */
  async function prune(): Promise<void> {
    const mono = monotonic()
    const stale = [...seen].filter(([, { changedMono }]) => mono - changedMono >= CONTACT_RECORD_KEEP_MS)
    await Promise.all(
      stale.map(async ([key, { raw }]) => {
        if (await deps.store.replaceMetaIf(key, raw, null)) seen.delete(key)
      }),
    )
  }

  /**
   * A marked read of the agent's status; a record when the agent answered it (it counted the contact then). None is
   * sent more than CONTACT_AFTER_QUORUM_MS after `quorumAskedAt` (monotonic): the round reads the quorum again first.
   */
  async function reach(cluster: StoredCluster, quorumAskedAt: number): Promise<ContactRecord | undefined> {
    if (monotonic() - quorumAskedAt > CONTACT_AFTER_QUORUM_MS) {
      deps.log.warn(
        { cluster: cluster.name, after_ms: Math.round(monotonic() - quorumAskedAt) },
        'primary contact: not sent, the store was asked too long ago (this gateway was slow or paused)',
      )
      return undefined
    }
    const withinMs = Math.min(deps.timeoutMs, deps.intervalMs)
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(withinMs)])
    const status = await deps.statusOf(cluster, signal, withinMs).catch(() => undefined)
    if (!closing.signal.aborted) deps.observe?.(cluster.name, status, deps.now())
    if (status === undefined) return undefined
    return { gateway: deps.gatewayId, at: new Date(deps.now()).toISOString(), live: alivePrimary(status) }
  }

  /** One round; answers the primaries reached. */
  async function round(): Promise<string[]> {
    let clusters: StoredCluster[]
    let fences: Awaited<ReturnType<typeof readFences>>
    let quorumAskedAt: number
    try {
      // The store's records first, then its quorum asked, and the agents right after its answer.
      ;[clusters, fences] = await Promise.all([deps.store.listClusters(), readFences(deps.store), observe()])
      quorumAskedAt = monotonic()
      await deps.store.ping()
    } catch (err) {
      if (!quorumLost)
        deps.log.warn({ err: (err as Error)?.message }, 'primary contact paused: the store does not answer')
      quorumLost = true
      return []
    }
    quorumLost = false
    const primaries = clusters.filter((c) => c.role === 'primary' && !fences.covers(c.name))
    // A fence written right before a failover's promote is not armed yet: that promote may be refused, and a retry
    // needs what was seen of the primary until then.
    const armed = (name: string) => {
      const fence = fences.get(name)
      return fence !== undefined && isArmed(fence)
    }
    deps.onPrimaries?.(clusters.filter((c) => c.role === 'primary' && !armed(c.name)).map((c) => c.name))
    // The agents first, all at once: the records are written after, so a slow store does not delay the contacts.
    const reached = await Promise.all(primaries.map((c) => reach(c, quorumAskedAt)))
    await Promise.all(
      primaries.map((c, i) => {
        const record = reached[i]
        return record === undefined
          ? undefined
          : deps.store.setMeta(contactKey(c.name, deps.gatewayId), JSON.stringify(record))
      }),
    )
    await prune()
    return primaries.filter((_, i) => reached[i]?.live === true).map((c) => c.name)
  }

  // At a fixed rate: the next round starts an interval after this one started (at once when it took longer).
  const timed = async () => {
    const started = performance.now()
    await round()
    return Math.max(0, deps.intervalMs - (performance.now() - started))
  }
  const rounds = repeatRounds({
    round: timed,
    nextMs: (ms) => ms,
    everyMs: deps.intervalMs,
    log: deps.log,
    what: 'primary contact',
    onStop: () => closing.abort(),
  })
  return {
    round,
    start: () => rounds.start(deps.intervalMs),
    stop: rounds.stop,
    /**
     * When the gateways (this one too) last reached `cluster`, as this gateway saw their records change. Records not
     * read within a round (before the first one, or rounds paused while this gateway had no quorum) are read now,
     * each that changed counted as a contact now: what was seen before the pause would show a peer that went on
     * reaching the primary as silent since.
     */
    async peerContacts(cluster: string): Promise<PeerContact[]> {
      if (observedMono === undefined || monotonic() - observedMono > deps.intervalMs) await observe()
      const prefix = contactPrefix(cluster)
      return [...seen.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([, { record, changedAt }]) => ({
          gateway: record.gateway,
          at: changedAt,
          live: record.live,
          own: record.gateway === deps.gatewayId,
        }))
    },
  }
}
