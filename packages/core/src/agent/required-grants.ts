import type { RequiredGrant } from '../vault/token-check.ts'
import { DR_OPERATION_NAME } from './dr-operation-token/create-token.schemas.ts'
import { WRITE_CHECK_POLICY_NAME } from './write-check/write-check.schemas.ts'

/**
 * What the cluster operations write on Vault with the agent's own token: the README's policy, the same for both
 * agents (after a role swap either one enables, mints, revokes, demotes, activates). Vault runs each replication
 * write as an update; the secondary-token path is root-protected, so it needs sudo too. Promote, update-primary and
 * merkle-check run on a DR secondary with a DR operation token, not this token; generate-public-key, not in Vault's
 * unauthenticated list, is sent with this token (on the demoted primary, or a secondary holding the primary's tokens).
 */
export const CLUSTER_AGENT_GRANTS: readonly RequiredGrant[] = [
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
  {
    path: 'sys/replication/dr/secondary/generate-public-key',
    capabilities: ['update'],
    operation: 'generate a public key to be re-pointed without a wipe (generateDrPublicKey)',
  },
  {
    path: 'sys/replication/dr/secondary/enable',
    capabilities: ['update'],
    operation: 'activate this cluster as a DR secondary',
  },
  // createDrOperationToken keeps a policy and a batch-token role, written when missing or changed, then issues.
  {
    path: `sys/policies/acl/${DR_OPERATION_NAME}`,
    capabilities: ['read', 'create', 'update'],
    operation: 'keep the DR operation token policy',
  },
  {
    path: `auth/token/roles/${DR_OPERATION_NAME}`,
    capabilities: ['read', 'create', 'update'],
    operation: 'keep the DR operation token role',
  },
  {
    path: `auth/token/create/${DR_OPERATION_NAME}`,
    capabilities: ['update'],
    operation: 'issue DR operation tokens',
  },
  {
    path: `sys/policies/acl/${WRITE_CHECK_POLICY_NAME}`,
    capabilities: ['read', 'create', 'update'],
    operation: 'check the cluster accepts writes (checkClusterWrites)',
  },
]
