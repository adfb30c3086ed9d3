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

/** When the primary was first seen unreachable, and how long before that its last read may be to still count. */
export interface LossWindow {
  lostSince: number | null
  maxGapMs: number
}

/**
 * The estimated loss: the primary's last WAL the gateway read against the secondary's last received WAL. Known
 * when that read is recent enough to stand for the primary's last state: the secondary still heard from the
 * primary after it (its last heartbeat is later), or it came at most `maxGapMs` (one upkeep round) before the
 * primary was first seen unreachable. Writes the primary took after the secondary lost it can be known by no one.
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
  const heardAt = secondary.heartbeat_age_s === null ? null : now - secondary.heartbeat_age_s * 1000
  const heardAfter = heardAt !== null && heardAt >= primary.at
  // Nobody sees the primary lost: its last read is its state now, and the lag is what a failover would lose.
  const readBeforeLoss = window.lostSince === null || window.lostSince - primary.at <= window.maxGapMs
  if (!heardAfter && !readBeforeLoss) {
    return {
      ...base,
      wals: null,
      detail: `the primary was last read ${base.comparison_age_s} s ago, too long before it became unreachable and after the secondary last heard from it: what it wrote since is unknown`,
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
