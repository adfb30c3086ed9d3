import { defineError } from '../errors.ts'

/** The secondary agent's catalogue: each error with a title for people and a fix for operators. */
export const SecondaryErrors = {
  wipeNotConfirmed: defineError({
    code: 'SECONDARY_ERR_WIPE_NOT_CONFIRMED',
    status: 400,
    title: 'Activation wipes this cluster and was not confirmed',
    fix: "Activating a DR secondary erases all of this cluster's data, tokens and keys; resend with confirm_wipe: true once that is intended.",
  }),
  alreadySecondary: defineError({
    code: 'SECONDARY_ERR_ALREADY_SECONDARY',
    status: 409,
    title: 'This cluster is already a DR secondary',
    fix: 'Nothing to activate. To follow another primary use sys/replication/dr/secondary/update-primary (needs a DR operation token); to start over, disable DR on this cluster first.',
  }),
  isPrimary: defineError({
    code: 'SECONDARY_ERR_IS_PRIMARY',
    status: 409,
    title: 'This cluster is a DR primary',
    fix: 'A DR primary cannot be activated as a secondary: demote it (sys/replication/dr/primary/demote) or disable DR on it first, and check this agent points at the intended cluster.',
  }),
  activationInProgress: defineError({
    code: 'SECONDARY_ERR_ACTIVATION_IN_PROGRESS',
    status: 409,
    title: 'An activation of this cluster is already in flight',
    fix: 'Wait for it to end (getActivation with its activation_id, or getSecondaryStatus); Vault unwraps on the primary and bootstraps over its cluster port before it answers.',
  }),
  noPrimaryAddr: defineError({
    code: 'SECONDARY_ERR_NO_PRIMARY_ADDR',
    status: 400,
    title: 'The token carries no primary API address and none was given',
    fix: "The primary has no api_addr, so its token has an empty addr claim: pass primary_api_addr (the primary's https://host:8200 as reachable from here), or set api_addr on the primary and mint a new token.",
  }),
  tokenRejected: defineError({
    code: 'SECONDARY_ERR_TOKEN_REJECTED',
    status: 400,
    title: 'The primary rejected the activation token',
    fix: 'The token was already used, expired, revoked, or was not issued by the cluster at the unwrap address: mint a new one on the primary (secondary-token with a new id) and check primary_api_addr reaches the issuing cluster.',
  }),
  primaryApiUnreachable: defineError({
    code: 'SECONDARY_ERR_PRIMARY_API_UNREACHABLE',
    status: 502,
    title: "The secondary's Vault could not reach the primary's API to unwrap the token",
    fix: "Open tcp/8200 from the secondary's Vault servers to the primary's api_addr (the token's addr claim), or pass primary_api_addr with an address reachable from here (e.g. the primary's load balancer).",
  }),
  primaryApiUntrusted: defineError({
    code: 'SECONDARY_ERR_PRIMARY_API_UNTRUSTED',
    status: 502,
    title: "The secondary's Vault does not trust the primary's API certificate",
    fix: "Vault reads this CA only from its own servers' filesystem (ca_file or ca_path), never from the request: put the PEM bundle of the CA that signed the primary's API certificate on every secondary Vault node, and set VAULT_DR_ACTIVATION_CA_FILE on this agent to its path (or send ca_file when calling activateDrSecondary yourself). Check the unwrap address (primary_api_addr, else the token's addr) is a name in the certificate.",
  }),
  clusterPort: defineError({
    code: 'SECONDARY_ERR_CLUSTER_PORT',
    status: 502,
    title: "The secondary's Vault could not fetch its bootstrap package over the primary's cluster port",
    fix: "Open tcp/8201 from the secondary to every primary node's cluster_addr; a load balancer on 8201 must be TCP passthrough (no TLS termination) and route only to the active node. Run probePrimary to see which. The token was consumed: mint a new one.",
  }),
  caFile: defineError({
    code: 'SECONDARY_ERR_CA_FILE',
    status: 400,
    title: "The secondary's Vault could not read ca_file",
    fix: "ca_file is a path on the secondary's Vault servers, not on this agent: put the PEM bundle at that path on every secondary Vault node, readable by the Vault process, or correct VAULT_DR_ACTIVATION_CA_FILE (or the request's ca_file).",
  }),
  sealed: defineError({
    code: 'SECONDARY_ERR_SEALED',
    status: 503,
    title: 'This cluster is sealed',
    fix: 'Unseal the secondary cluster (vault operator unseal) and retry.',
  }),
  notDrSecondary: defineError({
    code: 'SECONDARY_ERR_NOT_DR_SECONDARY',
    status: 409,
    title: 'This cluster is not a DR secondary',
    fix: 'A DR operation token is checked where it is needed, on a DR secondary: check this agent points at the secondary cluster and that it was activated (getSecondaryStatus).',
  }),
  ceremonyInProgress: defineError({
    code: 'SECONDARY_ERR_CEREMONY_IN_PROGRESS',
    status: 409,
    title: 'A DR operation token ceremony is already in progress on this cluster',
    fix: 'Finish it with its nonce, or cancel it (cancelDrTokenCeremony) and start again: Vault runs one attempt at a time, shared with generate-root.',
  }),
  ceremonyAuthRequired: defineError({
    code: 'SECONDARY_ERR_CEREMONY_AUTH_REQUIRED',
    status: 409,
    title: 'This Vault requires authentication for the DR operation token ceremony',
    fix: 'Recent Vault versions are reported to authenticate generate-operation-token by default: add "generate-operation-token" to enable_unauthenticated_access in the DR secondary\'s server configuration (then reload it), or rely on a batch DR operation token, which needs no ceremony (vault-dr dr-token rotate <secondary>).',
  }),
  ceremonyUnknown: defineError({
    code: 'SECONDARY_ERR_CEREMONY_UNKNOWN',
    status: 404,
    title: 'This agent started no ceremony with this nonce',
    fix: 'The OTP of an attempt lives in the memory of the agent process that started it: after a restart, cancel the attempt and start again.',
  }),
  ceremonyShareRejected: defineError({
    code: 'SECONDARY_ERR_CEREMONY_SHARE_REJECTED',
    status: 400,
    title: 'Vault refused the key share',
    fix: "Give shares of the primary's unseal (or recovery) keys, each once: activation replaced this cluster's own keys. When the attempt ended, start again.",
  }),
  ceremonyFailed: defineError({
    code: 'SECONDARY_ERR_CEREMONY_FAILED',
    status: 502,
    title: 'The DR operation token ceremony could not be completed',
    fix: "Read the secondary's Vault log, cancel the attempt (cancelDrTokenCeremony) and start again.",
  }),
  activationFailed: defineError({
    code: 'SECONDARY_ERR_ACTIVATION_FAILED',
    status: 502,
    title: 'Vault refused to activate this cluster as a DR secondary',
    fix: "Read Vault's answer in upstream.errors and the secondary's Vault log; check status before retrying, as the token may have been consumed.",
  }),
} as const
