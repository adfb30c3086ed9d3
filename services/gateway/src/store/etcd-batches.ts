import type { ICompare, IKeyValue, IRequestOp, KVClient } from 'etcd3'

/** At most this many reads, or transactions, in one request (etcd refuses more than 128 operations per level). */
const MAX_PER_REQUEST = 64
/** At most this many bytes of values written in one request (etcd refuses requests over 1.5 MiB by default). */
const MAX_WRITE_BYTES = 1024 * 1024
/**
 * At most this many read requests, and as many write requests, on their way at once; what is asked meanwhile waits
 * for one to come back and goes with the others then. Idle, a call goes at once; busy, calls gather into fewer
 * requests instead of queueing as many of them in etcd.
 */
const MAX_IN_FLIGHT = 4

/** A key range [start, end): a key alone is [key, key + "\0"). */
type Interval = readonly [Buffer, Buffer]

interface Deferred<T> {
  resolve(value: T): void
  reject(err: unknown): void
}

interface PendingRead extends Deferred<IKeyValue | undefined> {
  key: string
}

interface PendingWrite extends Deferred<number | undefined> {
  compare: ICompare[]
  ops: IRequestOp[]
  /** Keys the comparisons read, and keys the operations write. */
  reads: Interval[]
  writes: Interval[]
  bytes: number
}

const point = (key: Buffer): Interval => [key, Buffer.concat([key, Buffer.from([0])])]
const intervalOf = (key: Buffer, rangeEnd?: Buffer): Interval =>
  rangeEnd === undefined || rangeEnd.length === 0 ? point(key) : [key, rangeEnd]
const overlaps = (a: Interval, b: Interval) => Buffer.compare(a[0], b[1]) < 0 && Buffer.compare(b[0], a[1]) < 0
const anyOverlap = (as: Interval[], bs: Interval[]) => as.some((a) => bs.some((b) => overlaps(a, b)))
/** The two calls batches are made of. */
export type BatchedKv = Pick<KVClient, 'range' | 'txn'>

const buf = (b: Buffer | string | undefined) => (b === undefined ? undefined : Buffer.isBuffer(b) ? b : Buffer.from(b))

/**
 * Sends the reads, and the conditional writes, that callers make in the same turn of the event loop, or while
 * MAX_IN_FLIGHT requests of their kind are on their way, as one request each instead of one per call: under load
 * (tens of operations advancing at once) most of etcd's cost, in this process and in the members, is per request,
 * not per key (19,000 puts of 2.4 KB, 32 callers: 12.5 CPU s in three members and 4.4 in the client one per
 * request, 2.8 and 0.8 eight per request).
 *
 * Reads go as one read-only transaction: every key read at one revision, later than the moment each caller asked.
 * Writes go as one transaction of nested transactions, each with its own comparisons, succeeding or not on its own.
 * etcd evaluates every nested comparison before applying any nested write, so only transactions whose keys are
 * apart share a request: none writes a key another compares or writes. Each then commits exactly as it would alone.
 */
export class EtcdBatches {
  readonly #kv: BatchedKv
  readonly #toError: (err: unknown) => unknown
  #reads: PendingRead[] = []
  #writes: PendingWrite[] = []
  #scheduled = false
  #readsInFlight = 0
  #writesInFlight = 0

  constructor(kv: BatchedKv, toError: (err: unknown) => unknown) {
    this.#kv = kv
    this.#toError = toError
  }

  read(key: string): Promise<IKeyValue | undefined> {
    return new Promise((resolve, reject) => {
      this.#reads.push({ key, resolve, reject })
      this.#schedule()
    })
  }

  /** Applies `ops` if every comparison holds: the revision they were applied at, or undefined (nothing written). */
  write(compare: ICompare[], ops: IRequestOp[]): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const reads = compare.map((c) => intervalOf(buf(c.key) as Buffer, buf(c.range_end)))
      const writes: Interval[] = []
      let bytes = 0
      for (const op of ops) {
        if (op.request_put) {
          writes.push(point(buf(op.request_put.key) as Buffer))
          bytes += (buf(op.request_put.value)?.length ?? 0) + (buf(op.request_put.key)?.length ?? 0)
        } else if (op.request_delete_range) {
          const del = op.request_delete_range
          writes.push(intervalOf(buf(del.key) as Buffer, buf(del.range_end)))
        } else {
          // Only puts and deletes are batched; anything else goes alone.
          writes.push([Buffer.alloc(0), Buffer.from([0xff, 0xff, 0xff, 0xff])])
        }
      }
      this.#writes.push({ compare, ops, reads, writes, bytes, resolve, reject })
      this.#schedule()
    })
  }

  #schedule() {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush() {
    while (this.#reads.length > 0 && this.#readsInFlight < MAX_IN_FLIGHT) {
      this.#readsInFlight++
      void this.#sendReads(this.#reads.splice(0, MAX_PER_REQUEST)).finally(() => {
        this.#readsInFlight--
        this.#schedule()
      })
    }
    if (this.#writes.length === 0 || this.#writesInFlight >= MAX_IN_FLIGHT) return
    const batches = writeBatches(this.#writes)
    const sent = batches.slice(0, MAX_IN_FLIGHT - this.#writesInFlight)
    // Those left wait, in order, ahead of the writes asked for meanwhile.
    this.#writes = batches.slice(sent.length).flat()
    for (const batch of sent) {
      this.#writesInFlight++
      void this.#sendWrites(batch).finally(() => {
        this.#writesInFlight--
        this.#schedule()
      })
    }
  }

  async #sendReads(batch: PendingRead[]) {
    try {
      if (batch.length === 1) {
        const only = batch[0] as PendingRead
        only.resolve((await this.#kv.range({ key: Buffer.from(only.key) })).kvs[0])
        return
      }
      const keys = [...new Set(batch.map((r) => r.key))]
      const res = await this.#kv.txn({
        compare: [],
        success: keys.map((key) => ({ request_range: { key: Buffer.from(key) } })),
      })
      const found = new Map(keys.map((key, i) => [key, res.responses[i]?.response_range?.kvs[0]]))
      for (const r of batch) r.resolve(found.get(r.key))
    } catch (err) {
      const error = this.#toError(err)
      for (const r of batch) r.reject(error)
    }
  }

  async #sendWrites(batch: PendingWrite[]) {
    try {
      if (batch.length === 1) {
        const only = batch[0] as PendingWrite
        const res = await this.#kv.txn({ compare: only.compare, success: only.ops })
        only.resolve(res.succeeded ? Number(res.header.revision) : undefined)
        return
      }
      const res = await this.#kv.txn({
        compare: [],
        success: batch.map((w) => ({ request_txn: { compare: w.compare, success: w.ops, failure: [] } })),
      })
      const revision = Number(res.header.revision)
      batch.forEach((w, i) => {
        w.resolve(res.responses[i]?.response_txn?.succeeded ? revision : undefined)
      })
    } catch (err) {
      const error = this.#toError(err)
      for (const w of batch) w.reject(error)
    }
  }
}

/** Splits writes, in order, into requests whose transactions keep apart from each other (see EtcdBatches). */
function writeBatches(writes: PendingWrite[]): PendingWrite[][] {
  const batches: PendingWrite[][] = []
  let open: PendingWrite[] = []
  let bytes = 0
  for (const w of writes) {
    const clash = open.some(
      (o) => anyOverlap(w.writes, o.writes) || anyOverlap(w.writes, o.reads) || anyOverlap(w.reads, o.writes),
    )
    if (open.length > 0 && (clash || open.length >= MAX_PER_REQUEST || bytes + w.bytes > MAX_WRITE_BYTES)) {
      batches.push(open)
      open = []
      bytes = 0
    }
    open.push(w)
    bytes += w.bytes
  }
  if (open.length > 0) batches.push(open)
  return batches
}
