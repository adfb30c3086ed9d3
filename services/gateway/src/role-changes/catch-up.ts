/** What the secondary must have before it is promoted: everything the demoted primary wrote. */
export interface CatchUpInput {
  /** The demoted primary's last WAL (null: unknown). */
  primaryLastWal: number | null
  /** The demoted primary's merkle root, read once demoted (it writes nothing more). */
  primaryMerkleRoot: string | null
  secondaryLastRemoteWal: number | null
  secondaryMerkleRoot: string | null
}

export type CatchUp =
  | { caughtUp: true; walsBehind: 0; by: 'merkle_root' | 'wal' }
  | { caughtUp: false; walsBehind: number | null; reason: string }

/**
 * Caught up when the secondary holds the very data of the demoted primary: equal merkle roots (what HashiCorp's
 * testcluster waits for) and a last_remote_wal not below the primary's last WAL. Without merkle roots the WAL alone
 * decides; without either nothing can be proved, so it is not caught up.
 */
export function catchUp(i: CatchUpInput): CatchUp {
  const behind =
    i.primaryLastWal === null || i.secondaryLastRemoteWal === null
      ? null
      : Math.max(0, i.primaryLastWal - i.secondaryLastRemoteWal)
  const walOk = behind === 0
  const roots = i.primaryMerkleRoot !== null && i.secondaryMerkleRoot !== null
  if (roots && i.primaryMerkleRoot === i.secondaryMerkleRoot && (walOk || behind === null)) {
    return { caughtUp: true, walsBehind: 0, by: 'merkle_root' }
  }
  if (!roots && walOk) return { caughtUp: true, walsBehind: 0, by: 'wal' }
  if (behind !== null && behind > 0) {
    return {
      caughtUp: false,
      walsBehind: behind,
      reason: `last_remote_wal ${i.secondaryLastRemoteWal} is ${behind} behind the demoted primary's last WAL ${i.primaryLastWal}`,
    }
  }
  if (roots) return { caughtUp: false, walsBehind: behind, reason: 'the merkle roots differ' }
  return { caughtUp: false, walsBehind: null, reason: 'neither side reports its WAL index or merkle root' }
}

/** Milliseconds between two ISO times, or null when either is unknown. */
export function windowMs(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null
  return Math.max(0, Date.parse(to) - Date.parse(from))
}
