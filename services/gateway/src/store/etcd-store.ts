import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'
import { clusterFromKv, deleteCluster, setClusterRole, upsertCluster } from './etcd-clusters.ts'
import {
  deleteCeremonyToken,
  getCeremonyToken,
  getDrToken,
  listDrTokens,
  putCeremonyToken,
  putDrToken,
} from './etcd-dr-tokens.ts'
import { storeFull } from './etcd-errors.ts'
import { eventPuts, eventsAfter } from './etcd-events.ts'
import { operationHolder } from './etcd-holders.ts'
import { EtcdKeys } from './etcd-keys.ts'
import {
  absent,
  type Compare,
  del,
  EtcdKv,
  type EtcdSettings,
  holds,
  type Kv,
  type Op,
  put,
  unchanged,
} from './etcd-kv.ts'
import { EtcdOperations } from './etcd-operations.ts'
import { pairedSecondaries, recordPairing } from './etcd-pairings.ts'
import { EtcdStateIndex } from './etcd-state-index.ts'
import { type EventsToWrite, eventsToWrite } from './events-to-write.ts'
import {
  type CreateOutcome,
  type HandshakeEvent,
  type HandshakePatch,
  type HandshakeRecord,
  LeaseLost,
  type NewEvent,
  type OperationLease,
  type OperationQuery,
  type OperationRecord,
  type PairedSecondary,
  type Store,
  type StoredCeremonyToken,
  type StoredCluster,
  type StoredDrToken,
} from './store.ts'
import type { UpdateOptions, UpdateOutcome } from './update-outcome.ts'

type Checks = HandshakeRecord['checks']

/**
 * A handshake as stored: the record, its lease (as the SQLite store's lease_owner and lease_until columns), and the
 * id of the write that made this version, so a write retried after it was applied recognises itself. Its checks
 * (most of a record's bytes) live under their own key, written only by the writes that change them, so each step's
 * write carries the rest alone; a handshake stored before that has them here still, until its checks change.
 */
interface HandshakeDoc extends Omit<HandshakeRecord, 'checks'> {
  lease_owner: string | null
  lease_until: number | null
  write: string
  checks?: Checks
}

interface Read {
  kv: Kv
  doc: HandshakeDoc
}

/** A handshake read with its checks key (undefined when it has none), both at one revision. */
interface FullRead extends Read {
  checks: Kv | undefined
}

/** Refused creates, each with nothing unfinished to blame, before the stale keys are named instead of retried. */
const CREATE_ROUNDS = 5
const unfinished = (h: Pick<HandshakeRecord, 'state'>) => h.state === 'pending' || h.state === 'running'
const parse = (kv: Kv) => JSON.parse(kv.value.toString('utf8')) as HandshakeDoc

/** The record: its checks from their own key when it exists, else as the handshake's key holds them (or none). */
function toRecord(
  { lease_owner: _o, lease_until: _u, write: _w, checks: inline, ...rest }: HandshakeDoc,
  checks: Kv | undefined,
): HandshakeRecord {
  return {
    ...rest,
    checks: checks === undefined ? (inline ?? []) : (JSON.parse(checks.value.toString('utf8')) as Checks),
  }
}

/** The lease is free, this owner's, ran out, or (with a name) held by an earlier process of the gateway of that name. */
function claimable(doc: HandshakeDoc, owner: string, now: number, ownName?: string): boolean {
  const held = doc.lease_owner
  if (held === null || held === owner || (doc.lease_until !== null && doc.lease_until < now)) return true
  return ownName !== undefined && (held === ownName || held.startsWith(`${ownName}/`))
}

/** Newest first, like the SQLite store's `ORDER BY created_at DESC, rowid DESC` (the creating revision as rowid). */
const newestFirst = (a: Read, b: Read) =>
  b.doc.created_at.localeCompare(a.doc.created_at) || b.kv.createRevision - a.kv.createRevision
const oldestFirst = (a: Read, b: Read) => -newestFirst(a, b)

/**
 * The Store in etcd, for several gateways in several sites. Each handshake is one key; each write is one
 * transaction that compares the key's revision as read (retrying on a concurrent change), so a fenced write commits
 * only while its owner still holds the lease. `unfinished/` index keys, created only if absent, keep the uniqueness
 * rules; an event's sequence number is the revision that wrote it, monotonic across the whole store.
 */
export class EtcdStore implements Store {
  readonly #kv: EtcdKv
  readonly #keys: EtcdKeys
  readonly #operations: EtcdOperations
  readonly #stateIndex: EtcdStateIndex
  /**
   * Each handshake as this store last wrote it for the lease owner holding it: that owner's next write (a step, a
   * renewal, the release) compares against it instead of reading first, which halves a running handshake's requests.
   * A write by anyone else meanwhile fails that comparison, and the write reads and tries again as before. Forgotten
   * once the handshake is released. A handshake this store created, held by none yet, is kept for its first claim.
   */
  readonly #held = new Map<string, Read>()

  constructor(settings: EtcdSettings) {
    this.#kv = new EtcdKv(settings)
    this.#keys = new EtcdKeys(settings.prefix)
    this.#operations = new EtcdOperations(this.#kv, this.#keys)
    this.#stateIndex = new EtcdStateIndex(this.#kv, this.#keys)
  }

  async #read(id: string): Promise<Read | undefined> {
    const kv = await this.#kv.get(this.#keys.handshake(id))
    return kv === undefined ? undefined : { kv, doc: parse(kv) }
  }

  /** Handshakes with their checks, each pair of keys read at one revision (`revision` when given), in `ids` order. */
  async #readFull(ids: string[], revision?: number): Promise<FullRead[]> {
    const keys = ids.flatMap((id) => [this.#keys.handshake(id), this.#keys.handshakeChecks(id)])
    const kvs = await this.#kv.getMany(keys, revision)
    const out: FullRead[] = []
    for (let i = 0; i < kvs.length; i += 2) {
      const kv = kvs[i]
      if (kv !== undefined) out.push({ kv, doc: parse(kv), checks: kvs[i + 1] })
    }
    return out
  }

  async #record(id: string): Promise<HandshakeRecord | undefined> {
    const [read] = await this.#readFull([id])
    return read === undefined ? undefined : toRecord(read.doc, read.checks)
  }

  /**
   * The handshake as this store last wrote it for `owner` while that owner holds it (or, to claim it, as this store
   * created it, held by none), else as etcd has it.
   */
  async #latest(id: string, owner: string | undefined, claiming = false): Promise<Read | undefined> {
    const held = this.#held.get(id)
    const mine = held !== undefined && owner !== undefined && held.doc.lease_owner === owner
    const created = claiming && held !== undefined && held.doc.lease_owner === null
    return mine || created ? held : this.#read(id)
  }

  /**
   * Writes a handshake's key (`value`, the JSON of `next`) with `ops`, compared as `compare`; remembers the result
   * while it is held. False when a comparison failed: it is then read afresh on the next try.
   */
  async #write(read: Read, next: HandshakeDoc, value: string, compare: Compare[], ops: Op[]): Promise<boolean> {
    const revision = await this.#kv.txnAt(compare, ops)
    if (revision !== undefined && next.lease_owner !== null) {
      this.#held.set(next.id, { kv: { ...read.kv, value: Buffer.from(value), modRevision: revision }, doc: next })
    } else this.#held.delete(next.id)
    return revision !== undefined
  }

  /** The handshake a key of an index or the idempotency keys names. */
  async #named(indexKey: string): Promise<HandshakeRecord | undefined> {
    const entry = await this.#kv.get(indexKey)
    return entry === undefined ? undefined : this.#record(entry.value.toString('utf8'))
  }

  async ping() {
    // Linearizable: answered only through a quorum. Short, so readiness says why before its own deadline.
    await this.#kv.quorumAnswers(this.#keys.meta('store_key_check'), 1_500)
  }

  async refusesWrites() {
    // A read answers through a store that refuses every write: its alarms say so. Unknown (no answer, or no right to
    // read alarms: etcd's root role on some versions) is no refusal.
    const alarms = await this.#kv.alarms(1_000).catch(() => [])
    if (alarms.some((a) => a.toUpperCase() === 'NOSPACE' || a === '1')) {
      return storeFull('etcd raised its NOSPACE alarm: it refuses every write')
    }
    return undefined
  }

  async close() {
    this.#kv.close()
  }

  async getMeta(key: string) {
    return (await this.#kv.get(this.#keys.meta(key)))?.value.toString('utf8')
  }

  async metaUnder(prefix: string) {
    const strip = this.#keys.meta('').length
    const kvs = await this.#kv.list(this.#keys.meta(prefix))
    // Meta keys are one encoded segment (EtcdKeys.meta): a prefix of the key encodes as a prefix of the segment.
    return new Map(kvs.map((kv) => [decodeURIComponent(kv.key.slice(strip)), kv.value.toString('utf8')]))
  }

  async setMeta(key: string, value: string) {
    await this.#kv.txn([], [put(this.#keys.meta(key), value)])
  }

  /** The comparisons a write made under `lease` carries, read anew for each attempt (none without a lease). */
  #leaseGuard(lease: OperationLease | undefined): () => Promise<Compare[]> {
    return async () => (lease === undefined ? [] : [await this.#operations.heldBy(lease)])
  }

  async replaceMetaIf(key: string, expected: string | undefined, value: string | null, lease?: OperationLease) {
    const at = this.#keys.meta(key)
    const compare = expected === undefined ? absent(at) : holds(at, expected)
    const guard = this.#leaseGuard(lease)
    for (;;) {
      const held = await guard()
      if (await this.#kv.txn([...held, compare], [value === null ? del(at) : put(at, value)])) return true
      // Not written: the entry is no longer as expected (the answer), or the operation changed (its lease renewed,
      // or taken over): read again.
      if ((await this.getMeta(key)) !== expected) return false
    }
  }

  async upsertCluster(c: StoredCluster) {
    return upsertCluster(this.#kv, this.#keys, c)
  }

  async getCluster(name: string) {
    const kv = await this.#kv.get(this.#keys.cluster(name))
    return kv === undefined ? undefined : clusterFromKv(kv)
  }

  async listClusters() {
    return (await this.#kv.list(this.#keys.clusters())).map(clusterFromKv).sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  async deleteCluster(name: string) {
    return deleteCluster(this.#kv, this.#keys, name)
  }

  async setClusterRole(name: string, role: ClusterRole, at: string, lease?: OperationLease) {
    await setClusterRole(this.#kv, this.#keys, name, role, at, this.#leaseGuard(lease))
  }

  async createHandshake(h: HandshakeRecord): Promise<CreateOutcome> {
    const keys = this.#keys
    const write = randomUUID()
    const record: HandshakeRecord = {
      ...h,
      token: null,
      error: null,
      cancel_requested: false,
      recheck_cluster: false,
      mint_requested_at: null,
      activation: null,
      revoke_pending: false,
      finished_at: null,
    }
    const { checks, ...rest } = record
    const doc: HandshakeDoc = { ...rest, lease_owner: null, lease_until: null, write }
    const value = JSON.stringify(doc)
    const idempotency = h.idempotency_key === null ? undefined : keys.idempotency(h.idempotency_key)
    const index = unfinished(h) ? keys.unfinishedIndex(h) : []
    const guarded = [keys.handshake(h.id), ...(idempotency === undefined ? [] : [idempotency]), ...index]
    const ops = [
      put(keys.handshake(h.id), value),
      ...(checks.length === 0 ? [] : [put(keys.handshakeChecks(h.id), JSON.stringify(checks))]),
      ...guarded.slice(1).map((key) => put(key, h.id)),
      put(`${keys.ofSecondaryId(h.primary, h.secondary_id)}${encodeURIComponent(h.id)}`, h.id),
      put(keys.byStateEntry(h), h.id),
      ...eventPuts(this.#keys.events(h.id), h.created_at, [{ type: 'state', data: { state: h.state } }]),
    ]
    // No unfinished operation may hold its primary or secondary: their lock keys must be absent too.
    const locks = unfinished(h) ? [keys.clusterLock(h.primary), keys.clusterLock(h.secondary)] : []
    for (let round = 1; ; round++) {
      const revision = await this.#kv.txnAt([...guarded, ...locks].map(absent), ops)
      if (revision !== undefined) {
        // Kept for its first claim (see #held), which then writes without reading.
        if (unfinished(h)) {
          const kv = {
            key: keys.handshake(h.id),
            value: Buffer.from(value),
            createRevision: revision,
            modRevision: revision,
          }
          this.#held.set(h.id, { kv, doc })
        }
        return { kind: 'created', handshake: record }
      }
      // Refused: say by what, in the SQLite store's order; if that is gone meanwhile, try again.
      const mine = await this.#read(h.id)
      if (mine?.doc.write === write) return { kind: 'created', handshake: record }
      if (idempotency !== undefined) {
        const existing = await this.#named(idempotency)
        if (existing !== undefined) {
          return { kind: existing.request_hash === h.request_hash ? 'replayed' : 'key_conflict', handshake: existing }
        }
      }
      for (const key of index.slice(0, 2)) {
        const active = await this.#named(key)
        if (active !== undefined && unfinished(active)) return { kind: 'in_progress', handshake: active }
      }
      for (const cluster of unfinished(h) ? [h.primary, h.secondary] : []) {
        const holder = await operationHolder(this.#kv, keys, cluster)
        if (holder !== undefined) return { kind: 'cluster_busy', cluster, holder }
      }
      if (mine !== undefined) throw new Error(`a handshake with id ${h.id} exists already`)
      // Refused by keys that name nothing unfinished, round after round: an index the store's own writes would not
      // leave (a hand edit, a restored backup). Named, rather than retried forever.
      if (round >= CREATE_ROUNDS) {
        const present = []
        for (const key of [...guarded, ...locks]) if ((await this.#kv.get(key)) !== undefined) present.push(key)
        throw new Error(
          `creating handshake ${h.id} is refused by keys that name no unfinished handshake or operation: ${present.join(', ')} (a stale index: delete those keys once nothing runs on ${h.primary} or ${h.secondary})`,
        )
      }
      await sleep(10 * round)
    }
  }

  async handshakeByIdempotencyKey(key: string) {
    return this.#named(this.#keys.idempotency(key))
  }

  async getHandshake(id: string) {
    return this.#record(id)
  }

  /** The ids an index folder names (one key per handshake, its id as value). */
  async #listedIds(folder: string): Promise<string[]> {
    return (await this.#kv.list(folder)).map((kv) => kv.value.toString('utf8'))
  }

  /** The handshakes an index folder names, without their checks, read at one revision. */
  async #listed(folder: string): Promise<Read[]> {
    const ids = await this.#listedIds(folder)
    const kvs = await this.#kv.getMany(ids.map((id) => this.#keys.handshake(id)))
    return kvs.filter((kv): kv is Kv => kv !== undefined).map((kv) => ({ kv, doc: parse(kv) }))
  }

  async secondaryIdHistory(primary: string, secondaryId: string, exceptHandshake: string) {
    const others = (await this.#listed(this.#keys.ofSecondaryId(primary, secondaryId)))
      .map((r) => r.doc)
      .filter((d) => d.id !== exceptHandshake)
    return {
      minted: others.some((d) => d.mint_requested_at !== null),
      activated: others.some((d) => d.steps.some((s) => s.name === 'activate_secondary' && s.status === 'succeeded')),
    }
  }

  async cancelRequested(id: string) {
    return (await this.#read(id))?.doc.cancel_requested ?? false
  }

  async listHandshakes({ state, limit }: { state?: HandshakeState | undefined; limit: number }) {
    // The newest of that state through the by-state keys, then those handshakes, all at one revision.
    const { revision, ids } = await this.#stateIndex.newest(state, limit)
    return (await this.#readFull(ids, revision))
      .sort(newestFirst)
      .slice(0, limit)
      .map((r) => toRecord(r.doc, r.checks))
  }

  async pairedSecondaries() {
    // Only the succeeded handshakes, through their by-state keys, read at the revision of those keys.
    const { revision, ids } = await this.#stateIndex.newest('succeeded', 0)
    const kvs = await this.#kv.getMany(
      ids.map((id) => this.#keys.handshake(id)),
      revision,
    )
    // Pairings need no checks: these records go no further.
    const succeeded = kvs.filter((kv): kv is Kv => kv !== undefined).map((kv) => toRecord(parse(kv), undefined))
    return pairedSecondaries(this.#kv, this.#keys, succeeded)
  }

  async recordPairing(p: PairedSecondary, at: string, lease?: OperationLease) {
    await recordPairing(this.#kv, this.#keys, p, at, this.#leaseGuard(lease))
  }

  async getDrToken(primary: string) {
    return getDrToken(this.#kv, this.#keys, primary)
  }

  async listDrTokens() {
    return listDrTokens(this.#kv, this.#keys)
  }

  async putDrToken(token: StoredDrToken, replaces: string | null) {
    return putDrToken(this.#kv, this.#keys, token, replaces)
  }

  async getCeremonyToken(secondary: string) {
    return getCeremonyToken(this.#kv, this.#keys, secondary)
  }

  async putCeremonyToken(token: StoredCeremonyToken) {
    return putCeremonyToken(this.#kv, this.#keys, token)
  }

  async deleteCeremonyToken(secondary: string, madeAt: string) {
    return deleteCeremonyToken(this.#kv, this.#keys, secondary, madeAt)
  }

  async pendingRevocations() {
    return (await this.#readFull(await this.#listedIds(this.#keys.revokePending())))
      .filter((r) => r.doc.revoke_pending && !unfinished(r.doc))
      .sort(
        (a, b) =>
          (a.doc.finished_at ?? '').localeCompare(b.doc.finished_at ?? '') || a.kv.createRevision - b.kv.createRevision,
      )
      .map((r) => toRecord(r.doc, r.checks))
  }

  async resumable(owner: string, now: number, ownName?: string) {
    // Only the unfinished ones, found through the index every unfinished handshake holds.
    return (await this.#readFull(await this.#listedIds(this.#keys.unfinishedSecondaries())))
      .filter((r) => unfinished(r.doc) && claimable(r.doc, owner, now, ownName))
      .sort(oldestFirst)
      .map((r) => toRecord(r.doc, r.checks))
  }

  async updateHandshake(
    id: string,
    patch: HandshakePatch,
    at: string,
    events?: EventsToWrite<NewEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome> {
    const keys = this.#keys
    const write = randomUUID()
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as HandshakePatch
    for (;;) {
      const read = await this.#latest(id, owner)
      if (read === undefined) throw new Error(`no handshake ${id} to update`)
      const { kv, doc } = read
      if (doc.write === write) return { cancel_requested: doc.cancel_requested }
      if (owner !== undefined && (doc.lease_owner !== owner || !unfinished(doc))) throw new LeaseLost(id)
      // Read in this attempt, written only if the key is unchanged: a cancellation cannot slip in between.
      if (opts?.unlessCancelled && doc.cancel_requested) return { cancel_requested: true, skipped: true }
      const { checks, ...rest } = changes
      const next: HandshakeDoc = { ...doc, ...rest, updated_at: at, write }
      // New checks go to their own key; any the handshake's key held (a store from before that) go.
      if (checks !== undefined) delete next.checks
      const before = unfinished(doc) ? keys.unfinishedIndex(doc) : []
      const after = unfinished(next) ? keys.unfinishedIndex(next) : []
      const compare: Compare[] = [unchanged(keys.handshake(id), kv)]
      const value = JSON.stringify(next)
      const ops: Op[] = [put(keys.handshake(id), value)]
      if (checks !== undefined) ops.push(put(keys.handshakeChecks(id), JSON.stringify(checks)))
      for (const key of before) if (!after.includes(key)) ops.push(del(key))
      for (const key of after) {
        if (before.includes(key)) continue
        compare.push(absent(key))
        ops.push(put(key, id))
      }
      if (doc.state !== next.state) ops.push(del(keys.byStateEntry(doc)), put(keys.byStateEntry(next), id))
      if (doc.revoke_pending !== next.revoke_pending) {
        const marker = `${keys.revokePending()}${encodeURIComponent(id)}`
        ops.push(next.revoke_pending ? put(marker, id) : del(marker))
      }
      ops.push(...eventPuts(keys.events(id), at, eventsToWrite(events)))
      if (await this.#write(read, next, value, compare, ops)) return { cancel_requested: next.cancel_requested }
      if (after.length > before.length) {
        const taken = (await this.#kv.getMany(after)).find(
          (entry) => entry !== undefined && entry.value.toString() !== id,
        )
        if (taken !== undefined) throw new Error(`handshake ${id} cannot be unfinished again: ${taken.key} is taken`)
      }
    }
  }

  async requestCancel(id: string, at: string) {
    for (;;) {
      const [read] = await this.#readFull([id])
      if (read === undefined) return undefined
      if (!unfinished(read.doc)) return toRecord(read.doc, read.checks)
      const next: HandshakeDoc = { ...read.doc, cancel_requested: true, updated_at: at, write: randomUUID() }
      const key = this.#keys.handshake(id)
      if (await this.#kv.txn([unchanged(key, read.kv)], [put(key, JSON.stringify(next))])) {
        return toRecord(next, read.checks)
      }
    }
  }

  async countByState() {
    return this.#stateIndex.counts()
  }

  async claim(id: string, owner: string, now: number, until: number, ownName?: string) {
    const key = this.#keys.handshake(id)
    const write = randomUUID()
    for (;;) {
      const read = await this.#latest(id, owner, true)
      if (read === undefined) return false
      if (read.doc.write === write) return true
      if (!unfinished(read.doc) || !claimable(read.doc, owner, now, ownName)) return false
      const next: HandshakeDoc = { ...read.doc, lease_owner: owner, lease_until: until, write }
      const value = JSON.stringify(next)
      if (await this.#write(read, next, value, [unchanged(key, read.kv)], [put(key, value)])) return true
    }
  }

  async renew(id: string, owner: string, until: number) {
    const key = this.#keys.handshake(id)
    const write = randomUUID()
    for (;;) {
      const read = await this.#latest(id, owner)
      if (read === undefined) return false
      if (read.doc.write === write) return true
      if (!unfinished(read.doc) || read.doc.lease_owner !== owner) return false
      const next: HandshakeDoc = { ...read.doc, lease_until: until, write }
      const value = JSON.stringify(next)
      if (await this.#write(read, next, value, [unchanged(key, read.kv)], [put(key, value)])) return true
    }
  }

  async release(id: string, owner: string) {
    const key = this.#keys.handshake(id)
    for (;;) {
      const read = await this.#latest(id, owner)
      if (read === undefined || read.doc.lease_owner !== owner) return
      const next: HandshakeDoc = { ...read.doc, lease_owner: null, lease_until: null, write: randomUUID() }
      const value = JSON.stringify(next)
      if (await this.#write(read, next, value, [unchanged(key, read.kv)], [put(key, value)])) return
    }
  }

  async events(id: string, afterSeq: number): Promise<HandshakeEvent[]> {
    const events = eventsAfter<HandshakeEvent['type']>(await this.#kv.list(this.#keys.events(id)), afterSeq)
    return events.map((e) => ({ ...e, handshake_id: id }))
  }

  async createOperation(op: OperationRecord) {
    return this.#operations.create(op)
  }

  async operationByIdempotencyKey(key: string) {
    return this.#operations.byIdempotencyKey(key)
  }

  async getOperation(id: string) {
    return this.#operations.get(id)
  }

  async operationHolding(cluster: string) {
    return operationHolder(this.#kv, this.#keys, cluster)
  }

  async listOperations(query: OperationQuery) {
    return this.#operations.list(query)
  }

  async updateOperation(...args: Parameters<Store['updateOperation']>) {
    return this.#operations.update(...args)
  }

  async requestCancelOperation(id: string, at: string) {
    return this.#operations.requestCancel(id, at)
  }

  async operationCancelRequested(id: string) {
    return this.#operations.cancelRequested(id)
  }

  async resumableOperations(owner: string, now: number, ownName?: string) {
    return this.#operations.resumable(owner, now, ownName)
  }

  async claimOperation(id: string, owner: string, now: number, until: number, ownName?: string) {
    return this.#operations.claim(id, owner, now, until, ownName)
  }

  async renewOperation(id: string, owner: string, until: number) {
    return this.#operations.renew(id, owner, until)
  }

  async releaseOperation(id: string, owner: string) {
    return this.#operations.release(id, owner)
  }

  async operationEvents(id: string, afterSeq: number) {
    return this.#operations.events(id, afterSeq)
  }

  async countOperations() {
    return this.#operations.count()
  }

  async currentEpoch() {
    return this.#operations.currentEpoch()
  }

  async bumpEpoch() {
    return this.#operations.bumpEpoch()
  }

  async raiseEpoch(from: number, above: number) {
    return this.#operations.raiseEpoch(from, above)
  }
}
