import { indexBuild } from './etcd-index-build.ts'
import type { EtcdKeys } from './etcd-keys.ts'
import { del, type EtcdKv, type Kv, type Op, put, unchanged } from './etcd-kv.ts'
import { newestEntries } from './etcd-newest.ts'
import {
  OPERATION_KINDS,
  OPERATION_STATES,
  type OperationKindName,
  type OperationQuery,
  type OperationRecord,
  type OperationState,
  zeroOperationCounts,
} from './store.ts'

/** The meta key that says every operation has its index keys (stores written before them had none). */
const BUILT = 'operations_index'

type Indexed = Pick<OperationRecord, 'id' | 'kind' | 'state' | 'clusters' | 'created_at'>

/**
 * The operation journal's index keys, so that listing the newest operations of a kind, a state or a cluster, and
 * counting them by kind and state, read those keys and the few operations they name, not every operation:
 * - `operations-by-state/<state>/<kind>/<created_at>/<id>`, one per operation, moved by the transaction that changes
 *   its state;
 * - `operations-by-cluster/<cluster>/<kind>/<created_at>/<id>`, one per cluster it touches, written with it and never
 *   moved: an operation's kind, clusters and created_at never change.
 */
export class EtcdOperationIndex {
  readonly #kv: EtcdKv
  readonly #keys: EtcdKeys
  readonly #ready: () => Promise<void>

  constructor(kv: EtcdKv, keys: EtcdKeys) {
    this.#kv = kv
    this.#keys = keys
    this.#ready = indexBuild(kv, keys, BUILT, () => this.#build())
  }

  /** The index keys the transaction that creates the operation writes. */
  written(op: Indexed): Op[] {
    const keys = [this.#keys.operationByStateEntry(op), ...this.#keys.operationOfClusterEntries(op)]
    return keys.map((key) => put(key, op.id))
  }

  /** What the transaction that changes an operation's state writes to move its state key (nothing if it stays). */
  moved(before: Indexed, after: Indexed): Op[] {
    if (before.state === after.state) return []
    return [del(this.#keys.operationByStateEntry(before)), put(this.#keys.operationByStateEntry(after), after.id)]
  }

  /**
   * Once per process: writes the keys of every operation a gateway before this index stored, each only while that
   * operation is as read (a concurrent state change moves its own), then marks the index built.
   */
  ready(): Promise<void> {
    return this.#ready()
  }

  async #build(): Promise<void> {
    // All at once: the store sends transactions made in the same turn together, many in one request.
    await Promise.all((await this.#kv.list(this.#keys.operations())).map((kv) => this.#rebuild(kv)))
  }

  /** Writes one operation's index keys, and deletes its state key in any other state, while it is as read. */
  async #rebuild(read: Kv): Promise<void> {
    let current: Kv | undefined = read
    while (current !== undefined) {
      const op = JSON.parse(current.value.toString('utf8')) as Indexed
      const elsewhere = OPERATION_STATES.filter((s) => s !== op.state).map((state) =>
        del(this.#keys.operationByStateEntry({ ...op, state })),
      )
      if (await this.#kv.txn([unchanged(current.key, current)], [...this.written(op), ...elsewhere])) return
      current = await this.#kv.get(current.key)
    }
  }

  /**
   * The ids of operations among which are the newest `limit` the query asks for, with the revision their keys were
   * read at, to read them at. More than those: ties at the last created_at kept (newestEntries), and, with a cluster
   * and a state, every operation of the cluster (of the kind), since its keys do not say the state. The caller keeps
   * the operations that answer the query, orders them and cuts.
   */
  async candidates({ kind, state, cluster, limit }: OperationQuery): Promise<{ revision: number; ids: string[] }> {
    await this.ready()
    const kinds = kind === undefined ? OPERATION_KINDS : [kind]
    const states = state === undefined ? OPERATION_STATES : [state]
    const folders =
      cluster === undefined
        ? states.flatMap((s) => kinds.map((k) => this.#keys.operationsByState(s, k)))
        : kinds.map((k) => this.#keys.operationsOfCluster(cluster, k))
    const newest = cluster !== undefined && state !== undefined ? 0 : limit
    const { revision, kvs } = await newestEntries(this.#kv, folders, newest)
    return { revision, ids: [...new Set(kvs.map((kv) => kv.value.toString('utf8')))] }
  }

  /** Operations by kind and state: the keys of each folder counted, nothing else read. */
  async counts(): Promise<Record<OperationKindName, Record<OperationState, number>>> {
    await this.ready()
    const folders = OPERATION_KINDS.flatMap((kind) => OPERATION_STATES.map((state) => ({ kind, state })))
    const n = await this.#kv.countUnder(folders.map((f) => this.#keys.operationsByState(f.state, f.kind)))
    const counts = zeroOperationCounts()
    for (const [i, { kind, state }] of folders.entries()) counts[kind][state] = n[i] ?? 0
    return counts
  }
}
