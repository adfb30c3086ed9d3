import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import { parseMetaRecord } from '../store/meta-record.ts'
import type { WalMeta } from './wal-record.ts'

/**
 * A cluster agent's VAULT_DR_FENCE_ON_ISOLATION as a gateway last read it in the agent's status, kept in the store's
 * meta under `self-fence/<cluster>`: a failover is planned when that agent no longer answers, so what it runs with
 * must be known from before. null: self-fencing off.
 */
const SelfFenceRecord = z.object({
  cluster: z.string(),
  fence_on_isolation_ms: z.number().int().nonnegative().nullable(),
  /**
   * When the agent's status that showed it was read, by the agent's clock (recorded again every few minutes while it
   * holds): of two gateways' readings, the later one is kept.
   */
  seen_at: z.iso.datetime(),
})
export type SelfFenceRecord = z.infer<typeof SelfFenceRecord>

const selfFenceKey = (cluster: string) => `self-fence/${cluster}`

/** How often a setting that did not change is recorded again while its agent answers (seen_at stays recent). */
const SELF_FENCE_REFRESH_MS = 5 * 60_000

/**
 * The agents' self-fencing settings as seen: written to the store when this gateway first sees one, when it changes
 * (an agent restarted with another setting), and again every SELF_FENCE_REFRESH_MS while it holds (another gateway may
 * have written what it saw in between); read back for a cluster whose agent does not answer.
 */
export type SelfFenceStore = WalMeta & {
  replaceMetaIf(key: string, expected: string | undefined, value: string | null): Promise<boolean>
}

export class SelfFenceSettings {
  readonly #store: SelfFenceStore
  readonly #log: Pick<FastifyBaseLogger, 'warn'> | undefined
  /** What this gateway last wrote of each cluster, and when. */
  readonly #written = new Map<string, { ms: number | null; at: number }>()
  /** This gateway's write of each cluster under way: its own later read waits for it. */
  readonly #writing = new Map<string, Promise<void>>()

  constructor(store: SelfFenceStore, log?: Pick<FastifyBaseLogger, 'warn'>) {
    this.#store = store
    this.#log = log
  }

  /**
   * A setting read in an agent's status the agent made at `at` (its checked_at); the write, when one is due, is not
   * waited for.
   */
  seen(cluster: string, fenceOnIsolationMs: number | null, at: number): void {
    const last = this.#written.get(cluster)
    if (last !== undefined && last.ms === fenceOnIsolationMs && at - last.at < SELF_FENCE_REFRESH_MS) return
    const mine = { ms: fenceOnIsolationMs, at }
    this.#written.set(cluster, mine)
    const record: SelfFenceRecord = {
      cluster,
      fence_on_isolation_ms: fenceOnIsolationMs,
      seen_at: new Date(at).toISOString(),
    }
    const writing = this.#keepNewer(record).then(
      (wrote) => {
        // A later reading is stored: this one was not written, so the same setting read later is written then.
        if (!wrote && this.#written.get(cluster) === mine) this.#written.delete(cluster)
      },
      (err: unknown) => {
        // Written again at the next reading.
        if (this.#written.get(cluster) === mine) this.#written.delete(cluster)
        this.#log?.warn(
          { cluster, err: (err as Error).message },
          "the agent's self-fencing setting could not be stored",
        )
      },
    )
    this.#writing.set(cluster, writing)
    void writing.finally(() => {
      if (this.#writing.get(cluster) === writing) this.#writing.delete(cluster)
    })
  }

  /**
   * Writes `record` unless the store holds a later reading (compare-and-set): a gateway whose reading was delayed
   * (paused, slow) must not bring back a setting the agent has since restarted without.
   */
  async #keepNewer(record: SelfFenceRecord): Promise<boolean> {
    const key = selfFenceKey(record.cluster)
    for (;;) {
      const raw = await this.#store.getMeta(key)
      const stored = parseMetaRecord(SelfFenceRecord, raw)
      if (stored !== undefined && Date.parse(stored.seen_at) > Date.parse(record.seen_at)) return false
      if (await this.#store.replaceMetaIf(key, raw, JSON.stringify(record))) return true
    }
  }

  /**
   * The setting last recorded of a cluster's agent, by any gateway on the store; undefined when none was. A store
   * that does not answer throws: the plan is not made without it (a failover could not be recorded either).
   */
  async lastSeen(cluster: string): Promise<SelfFenceRecord | undefined> {
    await this.#writing.get(cluster)
    return parseMetaRecord(SelfFenceRecord, await this.#store.getMeta(selfFenceKey(cluster)))
  }
}
