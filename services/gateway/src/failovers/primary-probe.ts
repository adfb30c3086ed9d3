import type { SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { ClusterStatus, ProbePrimaryResult } from '../agents/agent-types.ts'
import { dialUrl } from '../pairs/primary-nodes.ts'
import type { Read } from './vantage-points.ts'

const MAX_PROBED = 8
const PROBE_DEADLINE_MS = 10_000

/**
 * The secondary agent probes, from the DR site, every address the secondary knows its primary by: the API it
 * last saw and each cluster address (the one it streamed from and the other nodes').
 */
export async function probePrimaryFromSecondary(
  client: SecondaryAgentClient,
  status: ClusterStatus | undefined,
  signal: AbortSignal,
): Promise<Read<ProbePrimaryResult>> {
  const r = status?.replication ?? null
  if (r === null) return { error: { code: 'NOT_PROBED', detail: "the secondary's status is unknown" } }
  const known = [r.primary_cluster_addr, ...r.primaries.map((p) => p.cluster_address), ...r.known_primary_cluster_addrs]
  const clusterAddrs = [...new Set(known.filter((a): a is string => !!a).map(dialUrl))].filter(
    (u): u is string => u !== undefined,
  )
  if (clusterAddrs.length === 0) {
    return { error: { code: 'NOT_PROBED', detail: 'the secondary knows no address of its primary' } }
  }
  const seen = r.primaries[0]?.api_address ?? null
  const api = seen === null || seen === '' ? null : /^https?:\/\//.test(seen) ? seen : `https://${seen}`
  try {
    const value = await client.probePrimary(
      { cluster_addrs: clusterAddrs.slice(0, MAX_PROBED), ...(api ? { api_addr: api } : {}) },
      AbortSignal.any([signal, AbortSignal.timeout(PROBE_DEADLINE_MS)]),
    )
    return { value }
  } catch (err) {
    const code = (err as { code?: string })?.code ?? 'GATEWAY_ERR_AGENT_FAILED'
    return { error: { code, detail: err instanceof Error ? err.message : String(err) } }
  }
}
