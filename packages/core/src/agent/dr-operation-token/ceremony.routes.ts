import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import { CeremonyCancelled, CeremonyNonceParams, CeremonyProgress, CeremonyShareBody } from './ceremony.schemas.ts'
import type { CeremonyService } from './ceremony.service.ts'

const errors = { ...problemResponses, ...vaultProblemResponses }

export const ceremonyRoutes: FastifyPluginAsyncZod<{ ceremony: CeremonyService }> = async (app, { ceremony }) => {
  app.post(
    '/dr/operation-token/ceremony',
    {
      schema: {
        operationId: 'startDrTokenCeremony',
        tags: ['dr-secondary'],
        summary: 'Start the DR operation token ceremony (generate-operation-token) on this DR secondary',
        description:
          "Vault generates the OTP, which this agent keeps in memory for the attempt; the primary's key shares are then " +
          'given one by one (submitDrTokenCeremonyShare). One attempt at a time: one in progress is refused (409).',
        response: {
          201: CeremonyProgress,
          ...errors,
          409: problemResponse(
            'An attempt is in progress (SECONDARY_ERR_CEREMONY_IN_PROGRESS), the cluster is not a DR secondary (SECONDARY_ERR_NOT_DR_SECONDARY), or its Vault wants authentication for the ceremony (SECONDARY_ERR_CEREMONY_AUTH_REQUIRED)',
          ),
        },
      },
    },
    async (_request, reply) => reply.status(201).send(await ceremony.start()),
  )

  app.post(
    '/dr/operation-token/ceremony/:nonce/shares',
    {
      schema: {
        operationId: 'submitDrTokenCeremonyShare',
        tags: ['dr-secondary'],
        summary: 'Give one key share; the last one answers the decoded DR operation token, once',
        description: 'The key share is never echoed, logged or kept. Answered with Cache-Control: no-store.',
        params: CeremonyNonceParams,
        body: CeremonyShareBody,
        response: {
          200: CeremonyProgress,
          ...errors,
          ...bodyProblemResponses,
          404: problemResponse('This agent started no attempt with this nonce (SECONDARY_ERR_CEREMONY_UNKNOWN)'),
        },
      },
    },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await ceremony.share(request.params.nonce, request.body.key)),
  )

  app.delete(
    '/dr/operation-token/ceremony',
    {
      schema: {
        operationId: 'cancelDrTokenCeremony',
        tags: ['dr-secondary'],
        summary: 'Cancel the attempt in progress, if any (idempotent)',
        description:
          'Deletes the generate-operation-token attempt on this DR secondary (sys/replication/dr/secondary/generate-operation-token/attempt), so another can start; nothing happens when none is in progress.',
        response: {
          200: CeremonyCancelled,
          ...errors,
          409: problemResponse('The cluster is not a DR secondary (SECONDARY_ERR_NOT_DR_SECONDARY)'),
        },
      },
    },
    async () => ceremony.cancel(),
  )
}
