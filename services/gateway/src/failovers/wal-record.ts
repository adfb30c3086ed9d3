import { z } from 'zod'
import { parseMetaRecord } from '../store/meta-record.ts'

/**
 * A primary's last WAL as a gateway last read it, and when a gateway first saw that primary unreachable after that
 * read: what the loss estimate of a failover is made from. Kept in the store's meta under `wal/<cluster>`, so a
 * restarted gateway, or another one sharing the store, estimates the loss as the gateway that watched the loss did.
 */
export const WalRecord = z.object({
  cluster: z.string(),
  last_wal: z.number().int().nonnegative(),
  read_at: z.iso.datetime(),
  /** The first moment a vantage point saw the primary unreachable while this was its newest reading; null: none did. */
  lost_since: z.iso.datetime().nullable(),
  /**
   * The last sign of life any vantage point gave of the primary (its agent reached its Vault, the DR site reached it,
   * the secondary heard from it), read_at at least: what it may have written after read_at is unseen. Absent in
   * records of gateways before it.
   */
  alive_at: z.iso.datetime().nullable().default(null),
})
export type WalRecord = z.infer<typeof WalRecord>

/** A reading in memory: the primary's last WAL, when it was read, since when it is seen lost, its last sign of life. */
export interface WalReading {
  last_wal: number
  at: number
  lost_since: number | null
  /** Epoch ms; null: none known beyond the reading itself. */
  alive_at: number | null
}

export const walKey = (cluster: string) => `wal/${cluster}`

export interface WalMeta {
  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
}

export async function readWal(store: WalMeta, cluster: string): Promise<WalReading | undefined> {
  const r = parseMetaRecord(WalRecord, await store.getMeta(walKey(cluster)))
  if (r === undefined) return undefined
  return {
    last_wal: r.last_wal,
    at: Date.parse(r.read_at),
    lost_since: r.lost_since === null ? null : Date.parse(r.lost_since),
    alive_at: r.alive_at === null ? null : Date.parse(r.alive_at),
  }
}

export function writeWal(store: WalMeta, cluster: string, reading: WalReading): Promise<void> {
  const record: WalRecord = {
    cluster,
    last_wal: reading.last_wal,
    read_at: new Date(reading.at).toISOString(),
    lost_since: reading.lost_since === null ? null : new Date(reading.lost_since).toISOString(),
    alive_at: reading.alive_at === null ? null : new Date(reading.alive_at).toISOString(),
  }
  return store.setMeta(walKey(cluster), JSON.stringify(record))
}

/**
 * Two readings of one primary (this gateway's and the store's, maybe another gateway's) as one: the newer read wins,
 * with the loss it was seen with. The other side's loss counts too when it was seen after the newer read (a gateway
 * that lost the primary later than another read it); one seen before it was about an older state of the primary.
 */
export function mergeWal(a: WalReading | undefined, b: WalReading | undefined): WalReading | undefined {
  if (a === undefined || b === undefined) return a ?? b
  const [newer, older] = a.at >= b.at ? [a, b] : [b, a]
  const olderLoss = older.at === newer.at || (older.lost_since ?? -1) >= newer.at ? older.lost_since : null
  const seen = [newer.lost_since, olderLoss].filter((t): t is number => t !== null)
  const last_wal = older.at === newer.at ? Math.max(newer.last_wal, older.last_wal) : newer.last_wal
  // Any gateway's later sign of life counts: the primary may have written until then.
  const alive = [a.alive_at, b.alive_at].filter((t): t is number => t !== null)
  return {
    last_wal,
    at: newer.at,
    lost_since: seen.length === 0 ? null : Math.min(...seen),
    alive_at: alive.length === 0 ? null : Math.max(...alive),
  }
}

export const sameWal = (a: WalReading | undefined, b: WalReading | undefined) =>
  a?.last_wal === b?.last_wal && a?.at === b?.at && a?.lost_since === b?.lost_since && a?.alive_at === b?.alive_at
