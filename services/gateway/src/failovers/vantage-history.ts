import type { VantagePoint, VantageView } from './vantage-points.ts'

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

/**
 * What this gateway has seen of each primary over time: for each vantage point, since when it sees the primary
 * the way it does now, and the primary's last WAL at its last good read. Kept in memory: a gateway that restarts
 * starts counting again, which only ever delays a failover.
 */
export class VantageHistory {
  readonly #views = new Map<string, Seen>()
  readonly #wals = new Map<string, PrimaryWalSeen>()

  track(primary: string, views: VantageView[], at: number): TrackedView[] {
    return views.map((view) => {
      const key = `${primary}\u0000${view.point}`
      const seen = this.#views.get(key)
      const changed = seen === undefined || seen.reaches !== view.reaches
      const since = changed ? Math.min(at, view.lostAt ?? at) : seen.since
      this.#views.set(key, { reaches: view.reaches, since })
      const { lostAt: _, ...shown } = view
      return { ...shown, since: new Date(since).toISOString() }
    })
  }

  sawWal(primary: string, lastWal: number, at: number): void {
    const seen = this.#wals.get(primary)
    if (seen === undefined || seen.at <= at) this.#wals.set(primary, { last_wal: lastWal, at })
  }

  lastWal(primary: string): PrimaryWalSeen | undefined {
    return this.#wals.get(primary)
  }

  /** Forgets a primary (deleted, or failed away from). */
  forget(primary: string, points: readonly VantagePoint[]): void {
    for (const point of points) this.#views.delete(`${primary}\u0000${point}`)
    this.#wals.delete(primary)
  }
}
