import { z } from 'zod'

/**
 * The cluster address a DR primary hands to its secondaries (Vault's primary_cluster_addr), e.g. a layer-4 load
 * balancer in front of every node's 8201. Vault keeps the one the primary was enabled with.
 */
export const PrimaryClusterAddr = z
  .url({ protocol: /^https?$/, error: 'must be a cluster address such as https://10.0.0.1:8201' })
  .max(2048)
  .meta({ example: 'https://vault-dr-lb.dc1.example:8201' })

/** The same cluster address, written either way: a trailing slash, host case or an explicit default port. */
export function sameClusterAddress(a: string, b: string | null | undefined): boolean {
  if (b === null || b === undefined) return false
  if (!URL.canParse(a) || !URL.canParse(b)) return a === b
  return new URL(a).href === new URL(b).href
}
