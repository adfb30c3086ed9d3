import { defineError } from '@vault-dr/core'

/** The pairs' and DR operation tokens' part of the gateway's catalogue. */
export const PairsErrors = {
  pairNotFound: defineError({
    code: 'GATEWAY_ERR_PAIR_NOT_FOUND',
    status: 404,
    title: 'No such pair',
    fix: 'A pair is named by its registered secondary cluster, once a handshake joined it to a primary: list them with GET /v1/pairs.',
  }),
  notStreaming: defineError({
    code: 'GATEWAY_ERR_PAIR_NOT_STREAMING',
    status: 409,
    title: 'The pair does not stream: no DR operation token is issued for it',
    fix: "Check the pair (GET /v1/pairs/{secondary}/readiness): the secondary must stream WALs from the primary, and the primary's agent must answer.",
  }),
  drTokenUnsupported: defineError({
    code: 'GATEWAY_ERR_DR_TOKEN_UNSUPPORTED',
    status: 502,
    title: "The cluster's agent cannot issue or check DR operation tokens",
    fix: 'Upgrade the primary and secondary agents to a version with createDrOperationToken and checkDrOperationToken.',
  }),
  ceremonyShareRejected: defineError({
    code: 'GATEWAY_ERR_CEREMONY_SHARE_REJECTED',
    status: 400,
    title: 'The secondary refused the key share',
    fix: "Give shares of the primary's unseal (or recovery) keys, each once: activation replaced the secondary's own keys. Wrong shares end the attempt: start again.",
  }),
  ceremonyInProgress: defineError({
    code: 'GATEWAY_ERR_CEREMONY_IN_PROGRESS',
    status: 409,
    title: 'A key-share ceremony is already in progress on the secondary',
    fix: 'Finish it, or cancel it (vault-dr dr-token ceremony is cancelled by Ctrl-C; DELETE …/dr-operation-token/ceremony) and start again.',
  }),
  ceremonyAuthRequired: defineError({
    code: 'GATEWAY_ERR_CEREMONY_AUTH_REQUIRED',
    status: 409,
    title: "The secondary's Vault requires authentication for the DR operation token ceremony",
    fix: 'Recent Vault versions are reported to authenticate generate-operation-token by default: add "generate-operation-token" to enable_unauthenticated_access in the DR secondary\'s server configuration, or rely on a batch DR operation token, which needs no ceremony (vault-dr dr-token rotate <secondary>).',
  }),
  ceremonyTokenNotDeleted: defineError({
    code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_DELETED',
    status: 502,
    title: "The secondary's Vault refused to delete a ceremony token it still accepts",
    fix: "Read the secondary's Vault log (and what stands between its agent and it), then delete the token again; the gateway keeps it meanwhile.",
  }),
  ceremonyTokenNotKept: defineError({
    code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_KEPT',
    status: 503,
    title: 'The gateway could not keep the token the ceremony made',
    fix: "Bring the gateway's store back (GET /readyz names what fails), then run the ceremony again.",
  }),
  ceremonyTokenNotOnSecondary: defineError({
    code: 'GATEWAY_ERR_CEREMONY_TOKEN_NOT_ON_SECONDARY',
    status: 409,
    title: 'The cluster the kept ceremony token was made on is not a DR secondary now',
    fix: "Vault deletes a DR operation token on a DR secondary only: delete the token once the cluster is a pair's DR secondary again.",
  }),
  ceremonyTokenKept: defineError({
    code: 'GATEWAY_ERR_CEREMONY_TOKEN_KEPT',
    status: 409,
    title: 'The gateway keeps a key-share ceremony token for this secondary already',
    fix: 'A ceremony token has no TTL: delete the kept one first (vault-dr dr-token ceremony <secondary> --delete), then start a new ceremony.',
  }),
  ceremonyUnknown: defineError({
    code: 'GATEWAY_ERR_CEREMONY_UNKNOWN',
    status: 404,
    title: "The secondary's agent started no ceremony with this nonce",
    fix: 'The OTP lives in the memory of the agent process that started the attempt: after its restart, cancel and start again.',
  }),
} as const
