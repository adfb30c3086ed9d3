import { defineError } from '../errors.ts'

/** Vault's failures, as codes an operator (and our code) can act on. */
export const VaultErrors = {
  unreachable: defineError({
    code: 'VAULT_ERR_UNREACHABLE',
    status: 502,
    title: 'Vault could not be reached',
    fix: 'Check VAULT_ADDR, that Vault is running and listening there, and that no firewall blocks the port.',
  }),
  timeout: defineError({
    code: 'VAULT_ERR_TIMEOUT',
    status: 504,
    title: 'Vault did not answer in time',
    fix: 'Check the Vault node is healthy and not overloaded; raise VAULT_DR_VAULT_TIMEOUT_MS if it is just slow.',
  }),
  tls: defineError({
    code: 'VAULT_ERR_TLS',
    status: 502,
    title: "Vault's TLS certificate could not be verified",
    fix: "Set VAULT_CACERT to the CA that signed Vault's API certificate (VAULT_SKIP_VERIFY only for labs).",
  }),
  sealed: defineError({
    code: 'VAULT_ERR_SEALED',
    status: 503,
    title: 'Vault is sealed',
    fix: 'Unseal the cluster (vault operator unseal) and retry.',
  }),
  permissionDenied: defineError({
    code: 'VAULT_ERR_PERMISSION_DENIED',
    status: 502,
    title: 'Vault refused the token',
    fix: "The agent's Vault token is wrong, expired or revoked, or lacks a capability on the path named: check vault_token in the agent's /readyz, and give the token the policy the README lists for this agent.",
  }),
  enterpriseOnly: defineError({
    code: 'VAULT_ERR_ENTERPRISE_ONLY',
    status: 502,
    title: 'This Vault is not Vault Enterprise',
    fix: 'DR replication needs Vault Enterprise with a license that includes it.',
  }),
  drSecondaryLocked: defineError({
    code: 'VAULT_ERR_DR_SECONDARY',
    status: 502,
    title: 'The cluster is a DR secondary and refuses this path',
    fix: 'Send this call to the primary cluster, or promote the secondary first.',
  }),
  wrappingTokenInvalid: defineError({
    code: 'VAULT_ERR_WRAPPING_TOKEN_INVALID',
    status: 502,
    title: 'The wrapping token is not valid',
    fix: 'The token was used, revoked or expired, or was issued by another cluster: mint a new one.',
  }),
  alreadyExists: defineError({
    code: 'VAULT_ERR_ALREADY_EXISTS',
    status: 409,
    title: 'Vault already has this object',
    fix: 'Use another name, or remove the existing one first.',
  }),
  notReady: defineError({
    code: 'VAULT_ERR_NOT_READY',
    status: 503,
    title: 'Vault is not ready for this call yet',
    fix: 'Retry shortly; send replication calls to the active node (see sys/leader).',
  }),
  rejected: defineError({
    code: 'VAULT_ERR_REJECTED',
    status: 502,
    title: 'Vault rejected the request',
    fix: "Read Vault's message in upstream.errors.",
  }),
  failed: defineError({
    code: 'VAULT_ERR_FAILED',
    status: 502,
    title: 'Vault failed the request',
    fix: "Read Vault's message in upstream.errors and the Vault server log.",
  }),
  badResponse: defineError({
    code: 'VAULT_ERR_BAD_RESPONSE',
    status: 502,
    title: 'Vault answered something we could not read',
    fix: 'Check VAULT_ADDR points at Vault itself, not at a proxy or another service.',
  }),
} as const
