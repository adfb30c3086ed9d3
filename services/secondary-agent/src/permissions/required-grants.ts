import type { RequiredGrant } from '@vault-dr/core'

/** What the secondary agent's operations write on its Vault: the README's policy for this agent. */
export const SECONDARY_GRANTS: readonly RequiredGrant[] = [
  {
    path: 'sys/replication/dr/secondary/enable',
    capabilities: ['update'],
    operation: 'activate this cluster as a DR secondary',
  },
]
