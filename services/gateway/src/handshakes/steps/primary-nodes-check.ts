import { sameClusterAddress } from '@vault-dr/core'
import type { ClusterStatus, ProbeCheck } from '../../agents/agent-types.ts'
import type { Check } from '../../preflight/preflight.schemas.ts'
import type { StepContext } from '../step-context.ts'

/** How many node addresses one probe takes (the secondary agent's limit). */
const MAX_PROBED = 8

const UNREACHABLE_FIX =
  "The secondary dials the primary's nodes at these addresses (known_primary_cluster_addrs, each node's cluster_addr) " +
  'after a leader change or a lost connection: make each one resolvable and reachable on its port from the ' +
  "secondary's network, or set each primary node's cluster_addr to an address that is."

/**
 * After activation the secondary learns every primary node's cluster_addr (known_primary_cluster_addrs) and follows
 * them on a leader change; preflight could only probe the addresses known before (the active node's and
 * primary_cluster_addr). The others are probed from the secondary now. A node that refuses DR is a reachable standby
 * (it serves DR once active); one that cannot be reached is a warning: replication streams now, and would stop at
 * the next leader change.
 */
export async function primaryNodesChecks(ctx: StepContext, secondary: ClusterStatus): Promise<Check[]> {
  const r = secondary.replication
  if (r === null) return []
  const connected = r.primaries.map((p) => p.cluster_address).filter((a): a is string => a !== null)
  const others = r.known_primary_cluster_addrs.filter((a) => !connected.some((c) => sameClusterAddress(a, c)))
  if (others.length === 0) return []
  const addrs = others.slice(0, MAX_PROBED).map((a) => (/^[a-z][a-z\d+.-]*:\/\//i.test(a) ? a : `https://${a}`))
  try {
    const probe = await ctx.secondary.probePrimary({ cluster_addrs: addrs }, ctx.signal)
    return probe.checks
      .filter((c) => c.code !== 'FINGERPRINT_NOT_COMPARED')
      .map((c) => nodeCheck(c, addrs[Number(/\[(\d+)\]$/.exec(c.name)?.[1] ?? 0)] ?? c.target))
  } catch (err) {
    ctx.signal.throwIfAborted()
    const detail = `the secondary agent could not probe the primary's other nodes: ${(err as Error).message}`
    return [{ ...base('primary_nodes', null), status: 'warn', code: 'NOT_PROBED', detail, fix: null }]
  }
}

function base(name: string, latency: number | null) {
  return { name, source: 'secondary-agent' as const, phase: 'post_activation' as const, latency_ms: latency }
}

function nodeCheck(c: ProbeCheck, address: string): Check {
  const at = { ...base(`node_${c.name}`, c.latency_ms ?? null), detail: `primary node ${address}: ${c.detail}` }
  // A standby's cluster listener refuses DR until it becomes the active node: reachable, as it should be.
  if (c.code === 'DR_NOT_ENABLED') return { ...at, status: 'pass', code: c.code, fix: null }
  if (c.status === 'fail') return { ...at, status: 'warn', code: c.code, fix: UNREACHABLE_FIX }
  return { ...at, status: c.status, code: c.code, fix: c.fix ?? null }
}
