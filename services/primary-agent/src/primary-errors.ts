import { defineError } from '@vault-dr/core'

/** The primary agent's catalogue. */
export const PrimaryErrors = {
  isDrSecondary: defineError({
    code: 'PRIMARY_ERR_IS_DR_SECONDARY',
    status: 409,
    title: 'The cluster is a DR secondary',
    fix: 'A DR secondary cannot be enabled as a primary: promote it (sys/replication/dr/secondary/promote) instead.',
  }),
  notPrimary: defineError({
    code: 'PRIMARY_ERR_NOT_PRIMARY',
    status: 409,
    title: 'The cluster is not a DR primary',
    fix: 'Enable DR primary first (enableDrPrimary).',
  }),
  secondaryExists: defineError({
    code: 'PRIMARY_ERR_SECONDARY_EXISTS',
    status: 409,
    title: 'A secondary with this id already exists',
    fix: 'Revoke the id first (revokeSecondary), or choose another secondary_id.',
  }),
  secondaryConnected: defineError({
    code: 'PRIMARY_ERR_SECONDARY_CONNECTED',
    status: 409,
    title: 'A DR secondary is connected with this id',
    fix: 'Revoking it cuts that secondary off at once and it needs a new activation (a wipe) to follow again. If that is intended, send force: true; to clean up an unused id, check first that no secondary uses it (getPrimaryStatus).',
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
  tokenMissing: defineError({
    code: 'PRIMARY_ERR_NO_TOKEN_IN_RESPONSE',
    status: 502,
    title: 'Vault answered without an activation token',
    fix: 'Check that the Vault version supports DR replication and read its warnings in upstream.',
  }),
  drTokenMissing: defineError({
    code: 'PRIMARY_ERR_NO_DR_TOKEN_IN_RESPONSE',
    status: 502,
    title: 'Vault answered without a batch DR operation token',
    fix: 'Check the token role auth/token/roles/vault-dr-dr-operation has token_type=batch and that batch tokens are allowed on this Vault.',
  }),
  vaultUnavailable: defineError({
    code: 'PRIMARY_ERR_VAULT_UNAVAILABLE',
    status: 503,
    title: 'The local Vault cannot be asked',
    fix: 'Check VAULT_ADDR and that the cluster is up and unsealed.',
  }),
} as const
