import { defineError } from '@vault-dr/core'

/** The pairs' and DR operation tokens' part of the gateway's catalogue. */
export const PairsErrors = {
  pairNotFound: defineError({
    code: 'GATEWAY_ERR_PAIR_NOT_FOUND',
    status: 404,
    title: 'No such pair',
    fix: 'A pair is named by its registered secondary cluster, once a handshake joined it to a primary: list them with GET /v1/pairs (vault-dr pairs list).',
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
} as const
