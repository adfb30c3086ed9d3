import { parseVaultAddress, sameClusterAddress } from '@vault-dr/core'
import type { SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { PairCheck } from './pairs.schemas.ts'

/** How many node addresses one probe takes (the secondary agent's limit), and the whole probe's deadline. */
const MAX_PROBED = 8
const PROBE_DEADLINE_MS = 10_000

const check = (status: PairCheck['status'], code: string, detail: string, fix: string | null): PairCheck => ({
  id: 'P7',
  name: 'primary_nodes',
  status,
  code,
  detail,
  fix,
})

/** `https://host:port` as the agent takes it; Vault writes node addresses with or without a scheme. */
export function dialUrl(address: string): string | undefined {
  try {
    const { host, port } = parseVaultAddress(address, 8201)
    return `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  } catch {
    return undefined
  }
}

/**
 * P7, the primary's other nodes reachable from the secondary: the secondary dials them (known_primary_cluster_addrs)
 * after a leader change or a lost connection. Those it is not connected through are probed from the secondary's
 * network. A node that refuses DR is a reachable standby; one that cannot be reached is a warning, as replication
 * streams now.
 */
export async function primaryNodesCheck(
  client: SecondaryAgentClient,
  secondary: ClusterStatus | undefined,
  signal?: AbortSignal,
) {
  const r = secondary?.replication ?? null
  if (r === null) {
    return check('warn', 'NOT_PROBED', "The secondary's status is unknown.", 'Check the secondary agent answers.')
  }
  const connected = [...r.primaries.map((p) => p.cluster_address), r.primary_cluster_addr].filter(
    (a): a is string => a !== null && a !== '',
  )
  const others = r.known_primary_cluster_addrs.filter((a) => !connected.some((c) => sameClusterAddress(a, c)))
  const dialable = others.map(dialUrl).filter((u): u is string => u !== undefined)
  if (dialable.length === 0) {
    return check('pass', 'OK', 'The secondary knows no primary node other than the one it streams from.', null)
  }
  try {
    const probe = await client.probePrimary(
      { cluster_addrs: dialable.slice(0, MAX_PROBED) },
      signal === undefined
        ? AbortSignal.timeout(PROBE_DEADLINE_MS)
        : AbortSignal.any([signal, AbortSignal.timeout(PROBE_DEADLINE_MS)]),
    )
    const unreachable = probe.checks.filter((c) => c.status === 'fail' && c.code !== 'DR_NOT_ENABLED')
    if (unreachable.length === 0) {
      return check('pass', 'OK', `The secondary reaches the primary's other nodes: ${dialable.join(', ')}.`, null)
    }
    return check(
      'warn',
      unreachable[0]?.code ?? 'UNREACHABLE',
      `From the secondary, ${unreachable.map((c) => `${c.target}: ${c.detail}`).join('; ')}.`,
      "Make each primary node's cluster_addr resolvable and reachable from the secondary's network on 8201: after a leader change the secondary dials them.",
    )
  } catch (err) {
    return check(
      'warn',
      'NOT_PROBED',
      `The secondary agent could not probe the primary's other nodes: ${(err as Error).message}`,
      "Check these addresses by hand from the secondary's network (TCP to each node's cluster port).",
    )
  }
}
