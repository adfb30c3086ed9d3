import { randomUUID } from 'node:crypto'
import { eventPuts, eventsAfter } from './etcd-events.ts'
import { clusterHolder, type LockValue, unheld } from './etcd-holders.ts'
import type { EtcdKeys } from './etcd-keys.ts'
import { absent, type Compare, del, type EtcdKv, type Kv, type Op, put, unchanged } from './etcd-kv.ts'
import { EtcdOperationIndex } from './etcd-operation-index.ts'
import { type EventsToWrite, eventsToWrite } from './events-to-write.ts'
import {
  type CreateOperationOutcome,
  type EpochRaise,
  epochRaise,
  LeaseLost,
  type NewOperationEvent,
  type OperationEvent,
  type OperationLease,
  type OperationPatch,
  type OperationQuery,
  type OperationRecord,
  unfinishedState,
} from './store.ts'
import type { UpdateOptions, UpdateOutcome } from './update-outcome.ts'

/** An operation as stored: the record, its lease, and the id of the write that made this version (as HandshakeDoc). */
interface OperationDoc extends OperationRecord {
  lease_owner: string | null
  lease_until: number | null
  write: string
}

interface Read {
  kv: Kv
  doc: OperationDoc
}

const parse = (kv: Kv) => JSON.parse(kv.value.toString('utf8')) as OperationDoc

function toRecord({ lease_owner: _o, lease_until: _u, write: _w, ...record }: OperationDoc): OperationRecord {
  return record
}

/** The lease is free, this owner's, ran out, or (with a name) held by an earlier process of the gateway of that name. */
function claimable(doc: OperationDoc, owner: string, now: number, ownName?: string): boolean {
  const held = doc.lease_owner
  if (held === null || held === owner || (doc.lease_until !== null && doc.lease_until < now)) return true
  return ownName !== undefined && (held === ownName || held.startsWith(`${ownName}/`))
}

/** Newest first, like the SQLite store's `ORDER BY created_at DESC, rowid DESC` (the creating revision as rowid). */
const newestFirst = (a: Read, b: Read) =>
  b.doc.created_at.localeCompare(a.doc.created_at) || b.kv.createRevision - a.kv.createRevision

/** The operation as read answers the query (whichever index key named it). */
const answers = (doc: OperationDoc, { kind, state, cluster }: OperationQuery) =>
  (kind === undefined || doc.kind === kind) &&
  (state === undefined || doc.state === state) &&
  (cluster === undefined || doc.clusters.includes(cluster))

/**
 * The operation journal in etcd. Each operation is one key; every unfinished operation holds one lock key per cluster
 * (`locks/cluster/<name>`), created in the transaction that creates it only if that key is absent and no unfinished
 * handshake's index key names the cluster, and deleted in the transaction that finishes it, as is its
 * `unfinished/operation/<id>` key, which resuming reads. Writes compare the
 * operation key's revision as read, so a fenced write commits only while its owner still holds the lease. Listing
 * and counting go through index keys (EtcdOperationIndex), written in the transactions that create an operation
 * and change its state.
 */
export class EtcdOperations {
  readonly #kv: EtcdKv
  readonly #keys: EtcdKeys
  readonly #index: EtcdOperationIndex

  constructor(kv: EtcdKv, keys: EtcdKeys) {
    this.#kv = kv
    this.#keys = keys
    this.#index = new EtcdOperationIndex(kv, keys)
  }

  async #read(id: string): Promise<Read | undefined> {
    const kv = await this.#kv.get(this.#keys.operation(id))
    return kv === undefined ? undefined : { kv, doc: parse(kv) }
  }

  /**
   * The comparison that holds while `lease.owner` still holds the unfinished operation as read now (LeaseLost when it
   * does not): a transaction made with it writes nothing once the operation changed hands.
   */
  async heldBy(lease: OperationLease): Promise<Compare> {
    const read = await this.#read(lease.operation)
    if (read === undefined || read.doc.lease_owner !== lease.owner || !unfinishedState(read.doc.state)) {
      throw new LeaseLost(lease.operation, 'operation')
    }
    return unchanged(this.#keys.operation(lease.operation), read.kv)
  }

  async create(op: OperationRecord): Promise<CreateOperationOutcome> {
    const keys = this.#keys
    const write = randomUUID()
    const record: OperationRecord = { ...op, error: null, cancel_requested: false, finished_at: null }
    const doc: OperationDoc = { ...record, lease_owner: null, lease_until: null, write }
    const clusters = [...new Set(op.clusters)]
    const idempotency = op.idempotency_key === null ? undefined : keys.operationIdempotency(op.idempotency_key)
    const locking = unfinishedState(op.state)
    const lock: LockValue = { kind: op.kind, id: op.id }
    const compare: Compare[] = [
      absent(keys.operation(op.id)),
      ...(idempotency === undefined ? [] : [absent(idempotency)]),
      ...(locking ? clusters.flatMap((c) => unheld(keys, c)) : []),
    ]
    const ops: Op[] = [
      put(keys.operation(op.id), JSON.stringify(doc)),
      ...this.#index.written(record),
      ...(idempotency === undefined ? [] : [put(idempotency, op.id)]),
      ...(locking ? clusters.map((c) => put(keys.clusterLock(c), JSON.stringify(lock))) : []),
      ...(locking ? [put(keys.unfinishedOperation(op.id), op.id)] : []),
      ...eventPuts(keys.operationEvents(op.id), op.created_at, [{ type: 'state', data: { state: op.state } }]),
    ]
    for (;;) {
      if (await this.#kv.txn(compare, ops)) return { kind: 'created', operation: record }
      // Refused: say by what, in the SQLite store's order; if that is gone meanwhile, try again.
      const mine = await this.#read(op.id)
      if (mine?.doc.write === write) return { kind: 'created', operation: record }
      if (idempotency !== undefined) {
        const existing = await this.byIdempotencyKey(op.idempotency_key as string)
        if (existing !== undefined) {
          return { kind: existing.request_hash === op.request_hash ? 'replayed' : 'key_conflict', operation: existing }
        }
      }
      if (locking) {
        for (const cluster of clusters) {
          const holder = await clusterHolder(this.#kv, keys, cluster)
          if (holder !== undefined) return { kind: 'cluster_busy', cluster, holder }
        }
      }
      if (mine !== undefined) throw new Error(`an operation with id ${op.id} exists already`)
    }
  }

  async byIdempotencyKey(key: string): Promise<OperationRecord | undefined> {
    const entry = await this.#kv.get(this.#keys.operationIdempotency(key))
    return entry === undefined ? undefined : this.get(entry.value.toString('utf8'))
  }

  async get(id: string): Promise<OperationRecord | undefined> {
    const read = await this.#read(id)
    return read === undefined ? undefined : toRecord(read.doc)
  }

  async list(query: OperationQuery): Promise<OperationRecord[]> {
    if (query.limit < 1) return []
    // The operations the index keys name, read at the revision of those keys; only those that answer the query kept.
    const { revision, ids } = await this.#index.candidates(query)
    const kvs = await this.#kv.getMany(
      ids.map((id) => this.#keys.operation(id)),
      revision,
    )
    return kvs
      .filter((kv): kv is Kv => kv !== undefined)
      .map((kv) => ({ kv, doc: parse(kv) }))
      .filter(({ doc }) => answers(doc, query))
      .sort(newestFirst)
      .slice(0, query.limit)
      .map((r) => toRecord(r.doc))
  }

  async update(
    id: string,
    patch: OperationPatch,
    at: string,
    events?: EventsToWrite<NewOperationEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome> {
    const keys = this.#keys
    const write = randomUUID()
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as OperationPatch
    for (;;) {
      const read = await this.#read(id)
      if (read === undefined) throw new Error(`no operation ${id} to update`)
      const { kv, doc } = read
      if (doc.write === write) return { cancel_requested: doc.cancel_requested }
      if (owner !== undefined && (doc.lease_owner !== owner || !unfinishedState(doc.state))) {
        throw new LeaseLost(id, 'operation')
      }
      // Read in this attempt, written only if the key is unchanged: a cancellation cannot slip in between.
      if (opts?.unlessCancelled && doc.cancel_requested) return { cancel_requested: true, skipped: true }
      const next: OperationDoc = { ...doc, ...changes, updated_at: at, write }
      if (!unfinishedState(doc.state) && unfinishedState(next.state)) {
        throw new Error(`operation ${id} has finished already`)
      }
      const ops: Op[] = [put(keys.operation(id), JSON.stringify(next)), ...this.#index.moved(doc, next)]
      if (unfinishedState(doc.state) && !unfinishedState(next.state)) {
        for (const cluster of new Set(doc.clusters)) ops.push(del(keys.clusterLock(cluster)))
        ops.push(del(keys.unfinishedOperation(id)))
      }
      ops.push(...eventPuts(keys.operationEvents(id), at, eventsToWrite(events)))
      if (await this.#kv.txn([unchanged(keys.operation(id), kv)], ops)) {
        return { cancel_requested: next.cancel_requested }
      }
    }
  }

  /** Rewrites the operation with `change` applied while it is as read ('keep': nothing to write). */
  async #rewrite(
    id: string,
    change: (doc: OperationDoc) => OperationDoc | 'keep',
  ): Promise<{ before: OperationDoc; after: OperationDoc } | undefined> {
    const key = this.#keys.operation(id)
    for (;;) {
      const read = await this.#read(id)
      if (read === undefined) return undefined
      const next = change(read.doc)
      if (next === 'keep') return { before: read.doc, after: read.doc }
      if (await this.#kv.txn([unchanged(key, read.kv)], [put(key, JSON.stringify(next))])) {
        return { before: read.doc, after: next }
      }
    }
  }

  async requestCancel(id: string, at: string) {
    const done = await this.#rewrite(id, (doc) =>
      unfinishedState(doc.state) ? { ...doc, cancel_requested: true, updated_at: at, write: randomUUID() } : 'keep',
    )
    return done === undefined ? undefined : toRecord(done.after)
  }

  async cancelRequested(id: string) {
    return (await this.#read(id))?.doc.cancel_requested ?? false
  }

  async resumable(owner: string, now: number, ownName?: string) {
    // Only the unfinished ones, found through the key each holds while unfinished.
    const ids = (await this.#kv.list(this.#keys.unfinishedOperations())).map((kv) => kv.value.toString('utf8'))
    const kvs = await this.#kv.getMany(ids.map((id) => this.#keys.operation(id)))
    return kvs
      .filter((kv): kv is Kv => kv !== undefined)
      .map((kv) => ({ kv, doc: parse(kv) }))
      .filter((r) => unfinishedState(r.doc.state) && claimable(r.doc, owner, now, ownName))
      .sort((a, b) => newestFirst(b, a))
      .map((r) => toRecord(r.doc))
  }

  async claim(id: string, owner: string, now: number, until: number, ownName?: string) {
    const write = randomUUID()
    let claimed = false
    await this.#rewrite(id, (doc) => {
      // A retried transaction that was applied reads back as its own write.
      claimed = doc.write === write || (unfinishedState(doc.state) && claimable(doc, owner, now, ownName))
      if (!claimed || doc.write === write) return 'keep'
      return { ...doc, lease_owner: owner, lease_until: until, write }
    })
    return claimed
  }

  async renew(id: string, owner: string, until: number) {
    const write = randomUUID()
    let renewed = false
    await this.#rewrite(id, (doc) => {
      // A retried transaction that was applied reads back as its own write.
      renewed = doc.write === write || (unfinishedState(doc.state) && doc.lease_owner === owner)
      if (!renewed || doc.write === write) return 'keep'
      return { ...doc, lease_until: until, write }
    })
    return renewed
  }

  async release(id: string, owner: string) {
    await this.#rewrite(id, (doc) =>
      doc.lease_owner === owner ? { ...doc, lease_owner: null, lease_until: null, write: randomUUID() } : 'keep',
    )
  }

  async events(id: string, afterSeq: number): Promise<OperationEvent[]> {
    const events = eventsAfter<OperationEvent['type']>(await this.#kv.list(this.#keys.operationEvents(id)), afterSeq)
    return events.map((e) => ({ ...e, operation_id: id }))
  }

  async count() {
    return this.#index.counts()
  }

  async currentEpoch(): Promise<number> {
    const kv = await this.#kv.get(this.#keys.epoch())
    return kv === undefined ? 0 : (JSON.parse(kv.value.toString('utf8')) as { epoch: number }).epoch
  }

  /** A compare-and-swap loop; the write id recognises a retried transaction that was applied already. */
  async bumpEpoch(): Promise<number> {
    // The record written has no raised_from: a role change ends the run of raises.
    return (await this.#swapEpoch((current) => ({ epoch: current.epoch + 1 })))?.epoch ?? 0
  }

  async raiseEpoch(from: number, above: number): Promise<EpochRaise | undefined> {
    let outcome: EpochRaise | undefined
    await this.#swapEpoch((current) => {
      outcome = epochRaise(current, from, above)
      return outcome?.raised ? { epoch: outcome.epoch, raised_from: current.raised_from ?? current.epoch } : undefined
    })
    return outcome
  }

  /** Compare-and-swap of the epoch record with `next` of what is there (undefined: leave it); answers what was written. */
  async #swapEpoch(
    next: (current: EpochRecord) => Omit<EpochRecord, 'write'> | undefined,
  ): Promise<EpochRecord | undefined> {
    const key = this.#keys.epoch()
    const write = randomUUID()
    for (;;) {
      const kv = await this.#kv.get(key)
      const current: EpochRecord =
        kv === undefined ? { epoch: 0, write: '' } : (JSON.parse(kv.value.toString('utf8')) as EpochRecord)
      if (current.write === write) return current
      const wanted = next(current)
      if (wanted === undefined) return undefined
      const record: EpochRecord = { ...wanted, write }
      if (await this.#kv.txn([unchanged(key, kv)], [put(key, JSON.stringify(record))])) return record
    }
  }
}

/** The fencing epoch's record; raised_from: the epoch a run of raises started from (none since a role change). */
interface EpochRecord {
  epoch: number
  write: string
  raised_from?: number
}
