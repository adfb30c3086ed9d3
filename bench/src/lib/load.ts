import autocannon from 'autocannon'
import { round } from './stats.ts'

export interface LoadResult {
  target: string
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  total: number
  non2xx: number
  errors: number
  timeouts: number
  seconds: number
}

export interface LoadOptions {
  connections: number
  durationS: number
  warmupS: number
  headers?: Record<string, string>
}

/** autocannon against one URL: a short warm-up run (JIT, connection pools), then the measured run. */
export async function load(target: string, url: string, opts: LoadOptions, between?: () => Promise<void>) {
  const base = { url, connections: opts.connections, headers: opts.headers ?? {}, timeout: 10 }
  if (opts.warmupS > 0) await autocannon({ ...base, duration: opts.warmupS })
  await between?.()
  const r = await autocannon({ ...base, duration: opts.durationS })
  const result: LoadResult = {
    target,
    reqPerSec: round(r['2xx'] / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
  }
  return result
}
