import { defineError } from '../../errors.ts'

/**
 * Errors of minting and revoking secondary activation tokens, which either agent serves (its cluster may be the
 * primary after a swap). The codes keep their PRIMARY_ERR_ names: callers branch on them.
 */
export const SecondaryTokenErrors = {
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
  tokenMissing: defineError({
    code: 'PRIMARY_ERR_NO_TOKEN_IN_RESPONSE',
    status: 502,
    title: 'Vault answered without an activation token',
    fix: 'Check that the Vault version supports DR replication and read its warnings in upstream.',
  }),
  vaultUnavailable: defineError({
    code: 'PRIMARY_ERR_VAULT_UNAVAILABLE',
    status: 503,
    title: 'The local Vault cannot be asked',
    fix: 'Check VAULT_ADDR and that the cluster is up and unsealed.',
  }),
} as const
