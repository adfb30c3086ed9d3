import type { ClusterStatus } from '../../agents/agent-types.ts'
import type { StepContext } from '../handshake-context.ts'
import { dialUrl } from './primary-nodes-check.ts'

const PROBE_DEADLINE_MS = 10_000

const RERUN =
  'The secondary was activated already: running the handshake again only verifies (it never activates twice).'

/**
 * Why replication did not become healthy, when the secondary's network is the cause: the primary's cluster ports
 * it dials (known_primary_cluster_addrs, then primary_cluster_addr), probed from the secondary. Undefined when they
 * answer, or cannot be probed.
 */
export async function unreachableClusterPort(
  ctx: StepContext,
  secondary: ClusterStatus | undefined,
): Promise<{ detail: string; fix: string } | undefined> {
  const r = secondary?.replication
  if (r === null || r === undefined) return undefined
  const addresses = [
    ...new Set([...r.known_primary_cluster_addrs, ...(r.primary_cluster_addr ? [r.primary_cluster_addr] : [])]),
  ]
  const dialable = addresses
    .map(dialUrl)
    .filter((u): u is string => u !== undefined)
    .slice(0, 8)
  if (dialable.length === 0) return undefined
  const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(PROBE_DEADLINE_MS)])
  const probe = await ctx.secondary.probePrimary({ cluster_addrs: dialable }, deadline).catch(() => undefined)
  ctx.signal.throwIfAborted()
  const failed = probe?.checks.filter((c) => c.status === 'fail') ?? []
  if (
    probe === undefined ||
    failed.length === 0 ||
    failed.length < probe.checks.filter((c) => c.code !== 'FINGERPRINT_NOT_COMPARED').length
  ) {
    return undefined
  }
  return {
    detail: `the primary's cluster port is not reachable from the secondary: ${failed.map((c) => `${c.target} ${c.code} (${c.detail})`).join('; ')}`,
    fix: `Open tcp/8201 from the secondary's network to ${dialable.join(', ')} (a load balancer there must pass TLS through, never terminate it); the secondary reconnects by itself once it can. ${RERUN}`,
  }
}

/** The verify timeout's fix when no cause was found from the secondary's network. */
export const VERIFY_TIMEOUT_FIX = `Read the detail for what is missing; raise VAULT_DR_VERIFY_TIMEOUT_MS when the first sync is long. ${RERUN}`
