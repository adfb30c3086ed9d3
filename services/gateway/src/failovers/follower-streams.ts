import type { ClusterStatus } from '../agents/agent-types.ts'
import { streamAlive } from './vantage-points.ts'

/** What the old primary's other DR secondaries say of their streams from it, for the wait on its self-fence. */
export interface FollowerStreams {
  /** Still streaming from it: its agent does not fence it while one does. */
  streaming: string[]
  /** Their agents gave no status: one still streaming from it would keep its agent from fencing it. */
  unknown: string[]
  /** The latest moment one of them lost its stream (its last heartbeat, or when first seen lost); null: none did. */
  lostSince: number | null
}

/**
 * Watches the streams of a primary's followers across plans, as the vantage history watches the pair: since when
 * each is seen lost (from its last heartbeat when it says, else from this gateway's first sight of it lost, in memory:
 * a restarted gateway counts again, which only delays a failover).
 */
export class FollowerStreamWatch {
  readonly #lost = new Map<string, number>()

  observe(primary: string, followers: ReadonlyArray<{ name: string; status: ClusterStatus | undefined }>, at: number) {
    const seen: FollowerStreams = { streaming: [], unknown: [], lostSince: null }
    for (const { name, status } of followers) {
      const key = `${primary}/${name}`
      const r = status?.replication
      if (status === undefined || r == null) {
        this.#lost.delete(key)
        seen.unknown.push(name)
        continue
      }
      const age = r.primaries[0]?.heartbeat_age_s ?? null
      if (r.mode === 'secondary' && streamAlive(r.connection_state ?? null, age)) {
        this.#lost.delete(key)
        seen.streaming.push(name)
        continue
      }
      const since = this.#lost.get(key) ?? Math.min(at, age === null ? at : at - age * 1000)
      this.#lost.set(key, since)
      seen.lostSince = Math.max(seen.lostSince ?? since, since)
    }
    return seen
  }
}
