import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'
import { indexBuild } from './etcd-index-build.ts'
import type { EtcdKeys } from './etcd-keys.ts'
import { type EtcdKv, type Kv, put, unchanged } from './etcd-kv.ts'
import { newestEntries } from './etcd-newest.ts'
import type { HandshakeRecord } from './store.ts'

const STATES: HandshakeState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled']
/** The meta key that says every handshake has its `by-state/` key (stores written before it had none). */
const BUILT = 'by_state_index'

type Doc = Pick<HandshakeRecord, 'id' | 'state' | 'created_at'>

/**
 * The `by-state/<state>/<created_at>/<id>` keys: one per handshake, moved by the transaction that changes its state,
 * so listing the newest of a state, or counting each state, reads those keys, not every handshake.
 */
export class EtcdStateIndex {
  readonly #kv: EtcdKv
  readonly #keys: EtcdKeys
  readonly #ready: () => Promise<void>

  constructor(kv: EtcdKv, keys: EtcdKeys) {
    this.#kv = kv
    this.#keys = keys
    this.#ready = indexBuild(kv, keys, BUILT, () => this.#build())
  }

  /**
   * Once per process: writes the key of every handshake a gateway before this index stored, each only while that
   * handshake is as read (a concurrent transition writes its own), then marks the index built.
   */
  ready(): Promise<void> {
    return this.#ready()
  }

  async #build(): Promise<void> {
    for (const kv of await this.#kv.list(this.#keys.handshakes())) {
      let current: Kv | undefined = kv
      while (current !== undefined) {
        const doc = JSON.parse(current.value.toString('utf8')) as Doc
        const ops = [put(this.#keys.byStateEntry(doc), doc.id)]
        if (await this.#kv.txn([unchanged(current.key, current)], ops)) break
        current = await this.#kv.get(current.key)
      }
    }
  }

  /**
   * The ids of the newest `limit` handshakes (of one state, or of all), newest as the SQLite store orders them
   * (created_at, then creation), with the revision they were read at: more than `limit` when the last ones were
   * created at the same moment (newestEntries), the caller orders and cuts.
   */
  async newest(state: HandshakeState | undefined, limit: number): Promise<{ revision: number; ids: string[] }> {
    await this.ready()
    const states = state === undefined ? STATES : [state]
    const { revision, kvs } = await newestEntries(
      this.#kv,
      states.map((s) => this.#keys.byState(s)),
      limit,
    )
    return { revision, ids: kvs.map((kv) => kv.value.toString()) }
  }

  async counts(): Promise<Record<HandshakeState, number>> {
    await this.ready()
    const n = await this.#kv.countUnder(STATES.map((s) => this.#keys.byState(s)))
    return Object.fromEntries(STATES.map((s, i) => [s, n[i] ?? 0])) as Record<HandshakeState, number>
  }
}
