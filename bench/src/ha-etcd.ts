import { metricSamples, requestText, sumMetric } from './lib/http.ts'

/** The etcd services whose calls a gateway makes: reads and writes, watches (event streams), leases (none today). */
const CLIENT_SERVICES = new Set(['etcdserverpb.KV', 'etcdserverpb.Watch', 'etcdserverpb.Lease'])

/** The key of etcdCounters' answer that holds CPU time, not requests. */
export const CPU_SECONDS = 'cpu_seconds'

/**
 * The client requests the etcd members received so far, by method (Range, Txn, Put, DeleteRange, Watch…) and in all
 * (`total`), summed over the members from their own counters (`grpc_server_started_total` on each member's
 * /metrics): every call the gateways' etcd client made, retries included, with no wrapper in the gateway. A watch
 * counts once, when its stream opens. Peer traffic between the members is not a client request and is not counted.
 * Also the CPU seconds the members used (`cpu_seconds`, their `process_cpu_seconds_total`).
 */
export async function etcdCounters(endpoints: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = { total: 0, [CPU_SECONDS]: 0 }
  for (const text of await Promise.all(endpoints.map((e) => requestText(`http://${e}/metrics`, 10_000)))) {
    out[CPU_SECONDS] = (out[CPU_SECONDS] ?? 0) + sumMetric(text, 'process_cpu_seconds_total')
    for (const { labels, value } of metricSamples(text, 'grpc_server_started_total')) {
      if (!CLIENT_SERVICES.has(labels.grpc_service ?? '')) continue
      const method = labels.grpc_method ?? '?'
      out[method] = (out[method] ?? 0) + value
      out.total = (out.total ?? 0) + value
    }
  }
  return out
}

/** Who holds a handshake's lease and until when (epoch ms), read from etcd's JSON gateway as the gateway wrote it. */
export async function handshakeLease(
  endpoint: string,
  prefix: string,
  id: string,
): Promise<{ owner: string | null; until: number | null }> {
  const key = Buffer.from(`${prefix}handshakes/${encodeURIComponent(id)}`).toString('base64')
  const res = await fetch(`http://${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key }),
    signal: AbortSignal.timeout(5_000),
  })
  const body = (await res.json()) as { kvs?: Array<{ value?: string }> }
  const value = body.kvs?.[0]?.value
  if (!res.ok || value === undefined) throw new Error(`handshake ${id} is not in etcd under ${prefix}`)
  const doc = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as {
    lease_owner?: string | null
    lease_until?: number | null
  }
  return { owner: doc.lease_owner ?? null, until: doc.lease_until ?? null }
}
