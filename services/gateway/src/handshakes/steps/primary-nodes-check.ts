import { parseVaultAddress, sameClusterAddress } from '@vault-dr/core'
import type { ClusterStatus, ProbeCheck } from '../../agents/agent-types.ts'
import type { Check } from '../../preflight/preflight.schemas.ts'
import type { StepContext } from '../handshake-context.ts'

/** How many node addresses one probe takes (the secondary agent's limit). */
const MAX_PROBED = 8
/** The whole follow-up probe, retries included: replication is confirmed already, so it may not hold verify long. */
const PROBE_DEADLINE_MS = 10_000
export const NETWORK_CODES = new Set([
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'DNS_FAILURE',
  'CONNECTION_RESET',
  'HOST_UNREACHABLE',
  'NETWORK_ERROR',
])

export interface PrimaryNodes {
  checks: Check[]
  /** How many node addresses could not be reached (or not probed), and what the secondary falls back to. */
  unreachable: number
  notProbed: number
  fallback: string | null
}

/**
 * After activation the secondary learns every primary node's cluster_addr (known_primary_cluster_addrs) and dials
 * them after a leader change or a lost connection, before the primary_cluster_addr of its bootstrap package;
 * preflight could only probe the addresses known before. Those the secondary is not connected through are probed
 * from it now. A node that refuses DR is taken for a reachable standby (it serves DR once active; no fingerprint is
 * compared); one that cannot be reached is a warning, as replication streams now.
 */
export async function primaryNodesChecks(ctx: StepContext, secondary: ClusterStatus): Promise<PrimaryNodes> {
  const none: PrimaryNodes = { checks: [], unreachable: 0, notProbed: 0, fallback: null }
  const r = secondary.replication
  if (r === null) return none
  const connected = [...r.primaries.map((p) => p.cluster_address), r.primary_cluster_addr].filter(
    (a): a is string => a !== null && a !== '',
  )
  const others = r.known_primary_cluster_addrs.filter((a) => !connected.some((c) => sameClusterAddress(a, c)))
  if (others.length === 0) return none
  const lb = r.primary_cluster_addr
  const fallback = lb && !r.known_primary_cluster_addrs.some((a) => sameClusterAddress(a, lb)) ? lb : null
  const checks: Check[] = []
  const dialable: string[] = []
  for (const address of others) {
    const url = dialUrl(address)
    if (url === undefined || dialable.length === MAX_PROBED) {
      const why = url === undefined ? 'cannot be parsed as host:port' : `is past the first ${MAX_PROBED} probed`
      checks.push(notProbed(`primary node ${address} ${why}`, null))
    } else dialable.push(url)
  }
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), PROBE_DEADLINE_MS)
  try {
    const signal = AbortSignal.any([ctx.signal, deadline.signal])
    const probe = await ctx.secondary.probePrimary({ cluster_addrs: dialable }, signal)
    for (const c of probe.checks) {
      if (c.code === 'FINGERPRINT_NOT_COMPARED') continue
      const index = Number(/\[(\d+)\]$/.exec(c.name)?.[1] ?? 0)
      checks.push(nodeCheck(c, dialable[index] ?? c.target, fallback))
    }
  } catch (err) {
    ctx.signal.throwIfAborted()
    const why = deadline.signal.aborted ? `no answer in ${PROBE_DEADLINE_MS} ms` : (err as Error).message
    checks.push(notProbed(`the secondary agent could not probe the primary's other nodes: ${why}`, err))
  } finally {
    clearTimeout(timer)
  }
  const count = (code: (c: Check) => boolean) => checks.filter((c) => c.status === 'warn' && code(c)).length
  return {
    checks,
    unreachable: count((c) => c.code !== 'NOT_PROBED'),
    notProbed: count((c) => c.code === 'NOT_PROBED'),
    fallback,
  }
}

/** `https://host:port` as the agent takes it; Vault writes node addresses with or without a scheme. */
export function dialUrl(address: string): string | undefined {
  try {
    const { host, port } = parseVaultAddress(address, 8201)
    return `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  } catch {
    return undefined
  }
}

function base(name: string, latency: number | null) {
  return { name, source: 'secondary-agent' as const, phase: 'post_activation' as const, latency_ms: latency }
}

function notProbed(detail: string, err: unknown): Check {
  const outdated = (err as { code?: string } | null)?.code === 'CORE_ERR_VALIDATION'
  const fix = outdated
    ? 'Upgrade the secondary agent: probing cluster addresses alone (no api_addr) needs a newer one.'
    : "Check these addresses by hand from the secondary's network (TCP to each node's cluster port)."
  return { ...base('primary_nodes', null), status: 'warn', code: 'NOT_PROBED', detail, fix }
}

function nodeCheck(c: ProbeCheck, address: string, fallback: string | null): Check {
  const at = { ...base(`node_${c.name}`, c.latency_ms ?? null), detail: `primary node ${address}: ${c.detail}` }
  // A standby's cluster listener refuses DR until it becomes the active node: reachable, as it should be.
  if (c.code === 'DR_NOT_ENABLED') return { ...at, status: 'pass', code: c.code, fix: null }
  if (c.status !== 'fail') return { ...at, status: c.status, code: c.code, fix: c.fix ?? null }
  const after = fallback
    ? `The secondary dials the primary's nodes (known_primary_cluster_addrs) after a leader change or a lost connection, then falls back to primary_cluster_addr ${fallback}.`
    : "The secondary dials the primary's nodes (known_primary_cluster_addrs) after a leader change or a lost connection: replication stops if none it can reach is the active one."
  const fix = NETWORK_CODES.has(c.code)
    ? "Make each node's cluster_addr resolvable and reachable from the secondary's network, or set it to an address that is."
    : (c.fix ?? '')
  return { ...at, status: 'warn', code: c.code, fix: `${after} ${fix}`.trim() }
}
