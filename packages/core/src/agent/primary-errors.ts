import { defineError } from '../errors.ts'
import { SecondaryTokenErrors } from './secondary-tokens/index.ts'

/** The primary agent's catalogue. */
export const PrimaryErrors = {
  ...SecondaryTokenErrors,
  isDrSecondary: defineError({
    code: 'PRIMARY_ERR_IS_DR_SECONDARY',
    status: 409,
    title: 'The cluster is a DR secondary',
    fix: 'A DR secondary cannot be enabled as a primary: promote it (sys/replication/dr/secondary/promote) instead.',
  }),
  clusterAddrDiffers: defineError({
    code: 'PRIMARY_ERR_CLUSTER_ADDR_DIFFERS',
    status: 409,
    title: 'The cluster already is a DR primary with another primary_cluster_addr',
    fix: 'Vault keeps the primary_cluster_addr the primary was enabled with: send that one (or none) to confirm it. Changing it means disabling DR on the primary and enabling it again, which cuts off every secondary.',
  }),
  enableTimeout: defineError({
    code: 'PRIMARY_ERR_ENABLE_TIMEOUT',
    status: 504,
    title: 'The cluster did not become a running DR primary in time',
    fix: 'Check the Vault server log and sys/replication/dr/status; raise VAULT_DR_WAIT_TIMEOUT_MS if it is slow.',
  }),
  drTokenMissing: defineError({
    code: 'PRIMARY_ERR_NO_DR_TOKEN_IN_RESPONSE',
    status: 502,
    title: 'Vault answered without a batch DR operation token',
    fix: 'Check the token role auth/token/roles/vault-dr-dr-operation has token_type=batch and that batch tokens are allowed on this Vault.',
  }),
} as const
