/** The longest a runner waits between two looks for operations whose holder's lease ran out. */
const MAX_SCAN_MS = 500

/**
 * How often a runner looks for operations to take over. A holder renews its lease every third of it, so its lease
 * runs out at most the lease time after its last renewal; a scan at least every half second finds it within that
 * plus half a second, leaving the other half of the promised second for the scan, the claim and the first write on
 * a busy store. A scan reads only unfinished records (through the stores' unfinished indexes), so finished ones cost
 * nothing. A short lease needs no scan more often than itself.
 */
export function takeoverScanMs(leaseMs: number): number {
  return Math.min(leaseMs, MAX_SCAN_MS)
}
