/** The longest a runner waits between two looks for operations whose holder's lease ran out. */
const MAX_SCAN_MS = 250

/**
 * How often a runner looks for operations to take over. A holder renews its lease every third of it, so its lease
 * runs out at most the lease time after its last renewal; a scan every quarter second finds it within that plus a
 * quarter second, leaving the rest of the promised second for the scan, the claim and the first write on a busy
 * store. A scan reads only unfinished records (through the stores' unfinished indexes): finished ones cost nothing,
 * and with none unfinished it is two indexed queries on SQLite, two small range reads on etcd. A lease shorter than
 * the period needs no scan more often than itself.
 */
export function takeoverScanMs(leaseMs: number): number {
  return Math.min(leaseMs, MAX_SCAN_MS)
}
