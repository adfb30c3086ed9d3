import type { RequiredGrant } from '@vault-dr/core'

/**
 * What the primary agent's operations write on its Vault: the README's policy for this agent. Vault runs each
 * replication write as an update; the secondary-token path is root-protected, so it needs sudo too.
 */
export const PRIMARY_GRANTS: readonly RequiredGrant[] = [
  { path: 'sys/replication/dr/primary/enable', capabilities: ['update'], operation: 'enable DR primary' },
  {
    path: 'sys/replication/dr/primary/secondary-token',
    capabilities: ['update', 'sudo'],
    operation: 'mint activation tokens',
  },
  {
    path: 'sys/replication/dr/primary/revoke-secondary',
    capabilities: ['update'],
    operation: 'revoke an unused secondary id',
  },
  {
    path: 'sys/replication/dr/primary/demote',
    capabilities: ['update'],
    operation: 'demote the primary (demoteDrPrimary)',
  },
  // createDrOperationToken keeps a policy and a batch-token role, written when missing or changed, then issues.
  {
    path: 'sys/policies/acl/vault-dr-dr-operation',
    capabilities: ['read', 'create', 'update'],
    operation: 'keep the DR operation token policy',
  },
  {
    path: 'auth/token/roles/vault-dr-dr-operation',
    capabilities: ['read', 'create', 'update'],
    operation: 'keep the DR operation token role',
  },
  {
    path: 'auth/token/create/vault-dr-dr-operation',
    capabilities: ['update'],
    operation: 'issue DR operation tokens',
  },
]
