import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { WalMeta } from './wal-record.ts'

/**
 * A cluster agent's VAULT_DR_FENCE_ON_ISOLATION as a gateway last read it in the agent's status, kept in the store's
 * meta under `self-fence/<cluster>`: a failover is planned when that agent no longer answers, so what it runs with
 * must be known from before. null: self-fencing off.
 */
const SelfFenceRecord = z.object({
  cluster: z.string(),
  fence_on_isolation_ms: z.number().int().nonnegative().nullable(),
  seen_at: z.iso.datetime(),
})
export type SelfFenceRecord = z.infer<typeof SelfFenceRecord>

const selfFenceKey = (cluster: string) => `self-fence/${cluster}`

/**
 * The agents' self-fencing settings as seen: written to the store when one is first seen by this gateway or changes
 * (an agent restarted with another setting), read back for a cluster whose agent does not answer.
 */
export class SelfFenceSettings {
  readonly #store: WalMeta
  readonly #log: Pick<FastifyBaseLogger, 'warn'> | undefined
  /** What this gateway last wrote of each cluster. */
  readonly #written = new Map<string, number | null>()

  constructor(store: WalMeta, log?: Pick<FastifyBaseLogger, 'warn'>) {
    this.#store = store
    this.#log = log
  }

  /** A setting read in an agent's status now; the write, when one is due, is not waited for. */
  seen(cluster: string, fenceOnIsolationMs: number | null, at: number): void {
    if (this.#written.has(cluster) && this.#written.get(cluster) === fenceOnIsolationMs) return
    this.#written.set(cluster, fenceOnIsolationMs)
    const record: SelfFenceRecord = {
      cluster,
      fence_on_isolation_ms: fenceOnIsolationMs,
      seen_at: new Date(at).toISOString(),
    }
    void this.#store.setMeta(selfFenceKey(cluster), JSON.stringify(record)).catch((err: unknown) => {
      // Written again at the next reading.
      if (this.#written.get(cluster) === fenceOnIsolationMs) this.#written.delete(cluster)
      this.#log?.warn({ cluster, err: (err as Error).message }, "the agent's self-fencing setting could not be stored")
    })
  }

  /** The setting last seen of a cluster's agent, by any gateway on the store; undefined when none was ever read. */
  async lastSeen(cluster: string): Promise<SelfFenceRecord | undefined> {
    const raw = await this.#store.getMeta(selfFenceKey(cluster)).catch(() => undefined)
    if (raw === undefined || raw === '') return undefined
    try {
      const parsed = SelfFenceRecord.safeParse(JSON.parse(raw))
      return parsed.success ? parsed.data : undefined
    } catch {
      return undefined
    }
  }
}
