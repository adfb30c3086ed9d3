import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { CheckDrOperationTokenBody, DrOperationTokenCheck } from './check-token.schemas.ts'
import { checkDrOperationToken } from './check-token.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

export const checkDrOperationTokenRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent }> = async (app, { agent }) => {
  app.post(
    '/dr/operation-token/check',
    {
      schema: {
        operationId: 'checkDrOperationToken',
        tags: ['dr-secondary'],
        summary: 'Check that this DR secondary accepts a DR operation token, changing nothing',
        description:
          'Reads sys/storage/raft/autopilot/state on this DR secondary with the token as X-Vault-Token (the call of ' +
          '`vault operator raft autopilot state -dr-token`), so a token that would fail a promote is known before it ' +
          'is needed. Answers valid, invalid (Vault refused it) or inconclusive (this Vault does not serve the call), ' +
          'with a code and a fix. The token is never echoed, logged or kept.',
        body: CheckDrOperationTokenBody,
        response: {
          200: DrOperationTokenCheck,
          ...errors,
          409: problemResponse('The cluster is not a DR secondary (SECONDARY_ERR_NOT_DR_SECONDARY)'),
        },
      },
    },
    async (request, reply) => {
      const result = await checkDrOperationToken(agent, request.body.token)
      return reply.header('cache-control', 'no-store').send(result)
    },
  )
}
