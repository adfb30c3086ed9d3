import { bodyProblemResponses, CeremonyShareKey, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { agentProblemResponses } from '../agents/agent-problem-responses.ts'
import type { CeremonyService } from '../dr-operation-tokens/ceremony.service.ts'
import { PairParams } from './pairs.schemas.ts'

const Progress = z
  .object({ nonce: z.string(), progress: z.number().int(), required: z.number().int(), complete: z.boolean() })
  .meta({ id: 'PairCeremonyProgress' })
const ShareParams = PairParams.extend({
  nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be the nonce the ceremony started with'),
})
const ShareBody = z
  .object({ key: CeremonyShareKey })
  .strict()
  .meta({ id: 'PairCeremonyShareRequest', example: { key: 'one-of-the-primarys-unseal-key-shares' } })
const CeremonyTokenDeletion = z
  .object({
    outcome: z
      .enum(['deleted', 'not_valid', 'none_kept'])
      .describe('not_valid: the secondary refused the token, so it was not usable; the gateway forgot it all the same'),
    detail: z.string(),
  })
  .meta({ id: 'PairCeremonyTokenDeletion' })
const pairNotFound = problemResponse('No pair has this secondary (GATEWAY_ERR_PAIR_NOT_FOUND)')

export const ceremonyRoutes: FastifyPluginAsyncZod<{ ceremony: CeremonyService }> = async (app, { ceremony }) => {
  app.post(
    '/pairs/:secondary/dr-operation-token/ceremony',
    {
      schema: {
        operationId: 'startPairDrTokenCeremony',
        tags: ['pairs'],
        summary: "Start the key-share ceremony for a DR operation token on the pair's secondary",
        description:
          "The fallback where batch tokens are not allowed or none is valid. The secondary's agent has Vault make the " +
          "OTP and keeps it; give the primary's key shares with submitPairDrTokenCeremonyShare. Refused while the " +
          'token of an earlier ceremony is kept (it has no TTL: deletePairDrTokenCeremonyToken first).',
        params: PairParams,
        response: {
          201: Progress,
          404: pairNotFound,
          409: problemResponse(
            'A ceremony is in progress on the secondary (GATEWAY_ERR_CEREMONY_IN_PROGRESS), the token of an earlier one is kept (GATEWAY_ERR_CEREMONY_TOKEN_KEPT: delete it first), or its Vault wants authentication for the ceremony (GATEWAY_ERR_CEREMONY_AUTH_REQUIRED)',
          ),
          ...problemResponses,
          ...agentProblemResponses,
        },
      },
    },
    async (request, reply) => reply.status(201).send(await ceremony.start(request.params.secondary)),
  )

  app.post(
    '/pairs/:secondary/dr-operation-token/ceremony/:nonce/shares',
    {
      schema: {
        operationId: 'submitPairDrTokenCeremonyShare',
        tags: ['pairs'],
        summary: 'Give one key share; after the last, the decoded token is sealed in the store (never answered)',
        description:
          "One unseal key share of the pair's primary, read by the CLI without echo. The gateway relays it to the secondary agent and answers the progress; after the last share it decodes the token with the attempt's OTP and keeps it sealed in its store: the token is never answered, logged or shown.",
        params: ShareParams,
        body: ShareBody,
        response: {
          200: Progress,
          ...problemResponses,
          ...agentProblemResponses,
          ...bodyProblemResponses,
          400: problemResponse(
            'A malformed key (CORE_ERR_VALIDATION), or one the secondary refused (GATEWAY_ERR_CEREMONY_SHARE_REJECTED)',
          ),
          404: problemResponse(
            'No pair has this secondary (GATEWAY_ERR_PAIR_NOT_FOUND), or its agent started no ceremony with this nonce (GATEWAY_ERR_CEREMONY_UNKNOWN)',
          ),
          503: problemResponse(
            'The last share made the token, and the store did not take it (GATEWAY_ERR_CEREMONY_TOKEN_NOT_KEPT): the gateway deleted it in Vault, or the detail says it may stay valid there',
          ),
        },
      },
    },
    async (request) => ceremony.share(request.params.secondary, request.params.nonce, request.body.key),
  )

  app.delete(
    '/pairs/:secondary/dr-operation-token/ceremony',
    {
      schema: {
        operationId: 'cancelPairDrTokenCeremony',
        tags: ['pairs'],
        summary: "Cancel the ceremony in progress on the pair's secondary, if any (deletes the attempt)",
        description:
          "Deletes the generate-operation-token attempt on the pair's secondary (through its agent), so another ceremony can start; the shares given so far are discarded by Vault.",
        params: PairParams,
        response: {
          200: z.object({ cancelled: z.boolean() }),
          404: pairNotFound,
          409: problemResponse(
            "The secondary's Vault wants authentication for the ceremony (GATEWAY_ERR_CEREMONY_AUTH_REQUIRED)",
          ),
          ...problemResponses,
          ...agentProblemResponses,
        },
      },
    },
    async (request) => ceremony.cancel(request.params.secondary),
  )

  app.delete(
    '/pairs/:secondary/dr-operation-token/ceremony/token',
    {
      schema: {
        operationId: 'deletePairDrTokenCeremonyToken',
        tags: ['pairs'],
        summary: "Delete the kept ceremony token in the pair's secondary's Vault, and forget it",
        description:
          'A ceremony token has no TTL: Vault keeps it valid until deleted. The secondary agent sends ' +
          'operation-token/delete with it; the gateway then forgets it. Answers deleted, not_valid (the secondary ' +
          'refused it, and its check confirms it no longer accepts it: deleted already, or wiped by an activation; ' +
          'forgotten too; a refusal the check does not confirm keeps it, 502 GATEWAY_ERR_CEREMONY_TOKEN_NOT_DELETED) ' +
          'or none_kept. ' +
          'Refused (409) while an operation holds the secondary: a failover may be sending the token.',
        params: PairParams,
        response: {
          200: CeremonyTokenDeletion,
          404: pairNotFound,
          409: problemResponse(
            'An unfinished operation holds the secondary (GATEWAY_ERR_CLUSTER_BUSY), or the cluster the kept token was made on is not a DR secondary now (GATEWAY_ERR_CEREMONY_TOKEN_NOT_ON_SECONDARY: a failover or switchover promoted it)',
          ),
          ...problemResponses,
          ...agentProblemResponses,
        },
      },
    },
    async (request) => ceremony.deleteToken(request.params.secondary),
  )
}
