import type { FastifyBaseLogger } from 'fastify'
import type { VantagePoint, VantageView } from './vantage-points.ts'
import { mergeWal, readWal, sameWal, type WalMeta, type WalReading, writeWal } from './wal-record.ts'

/** One vantage point's view of a primary, with when it last changed. */
export interface TrackedView extends VantageView {
  /** When this vantage point first saw the primary as it sees it now (this gateway's observation). */
  since: string
}

interface Seen {
  reaches: boolean | null
  since: number
}

/** A primary's last WAL as seen from a gateway read of it, and when. */
export interface PrimaryWalSeen {
  last_wal: number
  at: number
}

/** Where the primaries' last WALs are kept beyond this process (the store's meta), and how often they are written. */
export interface WalPersistence {
  store: WalMeta
  /**
   * The least time between two writes of a primary whose WAL changed (default 60 s, one upkeep round): the write
   * that counts is the one made when a vantage point first loses the primary, which is never held back.
   */
  everyMs?: number
  log?: Pick<FastifyBaseLogger, 'warn'>
}

const DEFAULT_WAL_EVERY_MS = 60_000

/** What this gateway last wrote of a primary: the reading and which vantage points had lost the primary then. */
interface Written {
  reading: WalReading
  lost: string
}

/**
 * What this gateway has seen of each primary over time: for each vantage point, since when it sees the primary
 * the way it does now (in memory: a gateway that restarts starts counting again, which only ever delays a
 * failover), and the primary's last WAL at its last good read with since when it is seen lost, which is also kept
 * in the store when persistence is given, so a restarted gateway or another one on the same store gives the same
 * loss estimate.
 */
export class VantageHistory {
  /** Per primary, per vantage point. */
  readonly #views = new Map<string, Map<VantagePoint, Seen>>()
  readonly #wals = new Map<string, PrimaryWalSeen>()
  /** Per primary, its last sign of life: a vantage point (not the gateway's, which sees only the agent) reaching it. */
  readonly #alive = new Map<string, number>()
  readonly #persist: WalPersistence | undefined
  readonly #written = new Map<string, Written>()
  readonly #writes = new Map<string, Promise<void>>()

  constructor(persist?: WalPersistence) {
    this.#persist = persist
  }

  track(primary: string, views: VantageView[], at: number): TrackedView[] {
    const points = this.#views.get(primary) ?? new Map<VantagePoint, Seen>()
    this.#views.set(primary, points)
    const tracked = views.map((view) => {
      if (view.point !== 'gateway') {
        const alive = view.aliveAt ?? (view.reaches === true ? at : view.lostAt)
        if (alive !== undefined) this.#sawAlive(primary, alive)
      }
      const seen = points.get(view.point)
      const changed = seen === undefined || seen.reaches !== view.reaches
      const since = changed ? Math.min(at, view.lostAt ?? at) : seen.since
      points.set(view.point, { reaches: view.reaches, since })
      const { lostAt: _, aliveAt: __, ...shown } = view
      return { ...shown, since: new Date(since).toISOString() }
    })
    this.#keep(primary)
    return tracked
  }

  /** A reading of the primary's last WAL; kept in the store, when it matters, as the views read with it are tracked. */
  sawWal(primary: string, lastWal: number, at: number): void {
    const seen = this.#wals.get(primary)
    if (seen === undefined || seen.at <= at) this.#wals.set(primary, { last_wal: lastWal, at })
    this.#sawAlive(primary, at)
  }

  #sawAlive(primary: string, at: number): void {
    this.#alive.set(primary, Math.max(this.#alive.get(primary) ?? at, at))
  }

  /**
   * The primary's newest reading, this gateway's or the store's (another gateway's, or this one's before a restart),
   * with since when it is seen lost; undefined when nobody read it.
   */
  async lastWal(primary: string): Promise<WalReading | undefined> {
    const mine = this.#mine(primary)
    if (this.#persist === undefined) return mine
    const stored = await readWal(this.#persist.store, primary).catch(() => undefined)
    return mergeWal(mine, stored)
  }

  /** Resolves once every write of a reading begun so far has ended. */
  async flush(): Promise<void> {
    await Promise.all(this.#writes.values())
  }

  /**
   * Forgets every cluster but `primaries` (the primaries the store has now, none fenced): what was seen of a cluster
   * while it was a primary says nothing of it once it is one again after a switchover, a failover or a failback (a
   * "lost since" from then would make a primary seen lost for a moment look down for hours).
   */
  keepOnly(primaries: readonly string[]): void {
    const kept = new Set(primaries)
    for (const name of [...this.#views.keys(), ...this.#wals.keys()]) {
      if (kept.has(name)) continue
      this.#views.delete(name)
      this.#wals.delete(name)
      this.#alive.delete(name)
      this.#written.delete(name)
    }
  }

  /** The points that see the primary unreachable now, and the earliest since of theirs. */
  #lost(primary: string): { since: number | null; points: string } {
    const points: string[] = []
    let since: number | null = null
    for (const [point, seen] of this.#views.get(primary) ?? []) {
      if (seen.reaches !== false) continue
      points.push(point)
      since = since === null ? seen.since : Math.min(since, seen.since)
    }
    return { since, points: points.sort().join(',') }
  }

  #mine(primary: string): WalReading | undefined {
    const read = this.#wals.get(primary)
    if (read === undefined) return undefined
    return { ...read, lost_since: this.#lost(primary).since, alive_at: this.#alive.get(primary) ?? null }
  }

  /**
   * After each tracking (a reading comes with the views read with it), writes the reading to the store when it
   * matters: the first one, whenever the set of vantage points that lost the primary changes (the last read before
   * a loss is the one the estimate needs), and a changed WAL at most every `everyMs`. An unchanged WAL is not
   * written again. Each write merges with the stored record, so a gateway never replaces a newer reading.
   */
  #keep(primary: string): void {
    const persist = this.#persist
    const mine = this.#mine(primary)
    if (persist === undefined || mine === undefined) return
    const lost = this.#lost(primary).points
    const last = this.#written.get(primary)
    const walMoved = last !== undefined && last.reading.last_wal !== mine.last_wal
    const due =
      last === undefined ||
      last.lost !== lost ||
      last.reading.lost_since !== mine.lost_since ||
      (walMoved && mine.at - last.reading.at >= (persist.everyMs ?? DEFAULT_WAL_EVERY_MS))
    if (!due) return
    this.#written.set(primary, { reading: mine, lost })
    const before = this.#writes.get(primary) ?? Promise.resolve()
    const write = before.then(async () => {
      try {
        const stored = await readWal(persist.store, primary)
        const merged = mergeWal(mine, stored)
        if (merged !== undefined && !sameWal(merged, stored)) await writeWal(persist.store, primary, merged)
      } catch (err) {
        // Written again at the next reading.
        if (this.#written.get(primary)?.reading === mine) this.#written.delete(primary)
        persist.log?.warn({ primary, err: (err as Error).message }, "the primary's last WAL could not be stored")
      }
    })
    this.#writes.set(primary, write)
    void write.finally(() => {
      if (this.#writes.get(primary) === write) this.#writes.delete(primary)
    })
  }
}
