import type { RequiredGrant } from '@vault-dr/core'

/**
 * What the secondary agent's operations write on its Vault with its own token: the README's policy for this agent.
 * Promote and update-primary are authorized by the DR operation token they are given, and generate-public-key is
 * called on a DR secondary, where Vault takes no ordinary token (fact sheet: failover D2, §2.2).
 */
export const SECONDARY_GRANTS: readonly RequiredGrant[] = [
  {
    path: 'sys/replication/dr/secondary/enable',
    capabilities: ['update'],
    operation: 'activate this cluster as a DR secondary',
  },
]
