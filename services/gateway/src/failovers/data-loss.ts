import type { PrimaryWalSeen } from './vantage-history.ts'

/** What a failover to this secondary would lose, as far as anyone can tell now. */
export interface LossEstimate {
  /** WALs the primary had written that the secondary had not received at the last comparison; null: unknown. */
  wals: number | null
  /** The primary's last WAL as last seen by this gateway, and the secondary's last received WAL now. */
  primary_last_wal: number | null
  secondary_last_remote_wal: number | null
  /** How old the primary's side of the comparison is, in seconds; null when never seen. */
  comparison_age_s: number | null
  detail: string
}

export interface SecondarySide {
  last_remote_wal: number | null
  /** Seconds since the secondary's last heartbeat from the primary, when Vault reports one. */
  heartbeat_age_s: number | null
}

/**
 * When the primary was first seen unreachable (null: by no vantage point), its last sign of life (a vantage point
 * reaching it, the secondary hearing from it, a reading of it; null: none known), and how long before that sign a
 * reading of it, or the secondary's last word from it, may be to still stand for its last state (a keeping-in-touch
 * round and a status deadline).
 */
export interface LossWindow {
  lostSince: number | null
  aliveAt: number | null
  maxGapMs: number
}

/**
 * The estimated loss: the primary's last WAL the gateway read against the secondary's last received WAL. Known when
 * nobody sees the primary lost (its last reading is its state now), or when, within `maxGapMs` of its last sign of
 * life, the gateway read it (its WAL then was about its last) or the secondary still heard from it (it streamed what
 * the primary wrote until then). A primary seen alive (its agent reaching it, the DR site reaching it) well after both
 * its last reading and the secondary's last word may have written in between what no one can count: unknown. What it
 * wrote after its last sign of life, or within that gap, no one can know: the rejoin counts it afterwards.
 */
export function estimateLoss(
  primary: PrimaryWalSeen | undefined,
  secondary: SecondarySide,
  now: number,
  window: LossWindow,
): LossEstimate {
  const remote = secondary.last_remote_wal
  const base = {
    primary_last_wal: primary?.last_wal ?? null,
    secondary_last_remote_wal: remote,
    comparison_age_s: primary === undefined ? null : Math.round((now - primary.at) / 1000),
  }
  if (primary === undefined) {
    return { ...base, wals: null, detail: "this gateway never read the primary's last WAL: the loss is unknown" }
  }
  if (remote === null) {
    return { ...base, wals: null, detail: 'the secondary does not report a last received WAL: the loss is unknown' }
  }
  const { lostSince, maxGapMs } = window
  // Its last sign of life, the reading itself at least: what it may have written until then is what must be seen.
  const aliveAt = Math.max(primary.at, window.aliveAt ?? primary.at)
  const heardAt = secondary.heartbeat_age_s === null ? null : now - secondary.heartbeat_age_s * 1000
  const readUntilLoss = lostSince === null || primary.at >= aliveAt - maxGapMs
  const streamedUntilLoss = lostSince !== null && heardAt !== null && heardAt >= aliveAt - maxGapMs
  if (!readUntilLoss && !streamedUntilLoss) {
    const aliveAgo = Math.round((now - aliveAt) / 1000)
    const heard =
      heardAt === null
        ? 'the secondary reports no heartbeat from it'
        : `the secondary last heard from it ${Math.round((now - heardAt) / 1000)} s ago`
    return {
      ...base,
      wals: null,
      detail: `the primary was last read ${base.comparison_age_s} s ago and ${heard}, too long before it was last seen alive (${aliveAgo} s ago): what it wrote in between is unknown`,
    }
  }
  const wals = Math.max(0, primary.last_wal - remote)
  return {
    ...base,
    wals,
    detail:
      wals === 0
        ? `the secondary had every WAL the primary had written when last read (${primary.last_wal}, ${base.comparison_age_s} s ago)`
        : `the secondary lacks ${wals} WAL(s): the primary was at ${primary.last_wal} when last read, the secondary has ${remote}`,
  }
}
