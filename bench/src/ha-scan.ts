import { EtcdStore } from '../../services/gateway/src/store/etcd-store.ts'
import { SqliteStore } from '../../services/gateway/src/store/sqlite-store.ts'
import type { Store } from '../../services/gateway/src/store/store.ts'
import { median, round } from './lib/stats.ts'

export interface ScanCost {
  /** Handshakes in the store by state when it was measured. */
  handshakes: Record<string, number>
  scans: number
  medianMs: number
  maxMs: number
  /** With a store that counts them: the requests one scan makes. */
  requestsPerScan?: number
}

/**
 * What one takeover scan of a gateway costs on a store: the two reads its runner makes each time (unfinished
 * handshakes and unfinished operations it may run), `scans` times in a row, timed in this process.
 */
async function timeScans(
  store: Store,
  scans: number,
  requests?: () => Promise<Record<string, number>>,
): Promise<ScanCost> {
  const owner = 'bench/scan-cost'
  await store.resumable(owner, Date.now())
  const before = await requests?.()
  const ms: number[] = []
  for (let i = 0; i < scans; i++) {
    const t0 = performance.now()
    await store.resumable(owner, Date.now())
    await store.resumableOperations(owner, Date.now())
    ms.push(performance.now() - t0)
  }
  const after = await requests?.()
  return {
    handshakes: await store.countByState(),
    scans,
    medianMs: round(median(ms), 2),
    maxMs: round(Math.max(...ms), 2),
    ...(before === undefined || after === undefined
      ? {}
      : { requestsPerScan: round(((after.total ?? 0) - (before.total ?? 0)) / scans, 2) }),
  }
}

/** Scan cost on a SQLite store file no gateway has open any more. */
export async function sqliteScanCost(path: string, scans: number): Promise<ScanCost> {
  const store = new SqliteStore(path)
  try {
    return await timeScans(store, scans)
  } finally {
    await store.close()
  }
}

/** Scan cost on the etcd store under `prefix`, with the requests each scan makes. */
export async function etcdScanCost(
  endpoints: string[],
  prefix: string,
  scans: number,
  requests: () => Promise<Record<string, number>>,
): Promise<ScanCost> {
  const store = new EtcdStore({ hosts: endpoints.map((e) => `http://${e}`), prefix, callTimeoutMs: 5_000 })
  try {
    return await timeScans(store, scans, requests)
  } finally {
    await store.close()
  }
}
