import type { RequiredGrant } from '@vault-dr/core'

/**
 * What the secondary agent's operations write on its Vault with its own token: the README's policy for this agent.
 * Promote and update-primary are authorized by the DR operation token they are given, not by this one.
 */
export const SECONDARY_GRANTS: readonly RequiredGrant[] = [
  {
    path: 'sys/replication/dr/secondary/enable',
    capabilities: ['update'],
    operation: 'activate this cluster as a DR secondary',
  },
  {
    path: 'sys/replication/dr/secondary/generate-public-key',
    capabilities: ['update'],
    operation: 'make the key a public-key activation token is encrypted to (generateDrPublicKey)',
  },
]
