import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { DeleteDrOperationTokenBody, DrOperationTokenDeletion } from './delete-token.schemas.ts'
import { deleteDrOperationToken } from './delete-token.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

export const deleteDrOperationTokenRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent }> = async (app, { agent }) => {
  app.post(
    '/dr/operation-token/delete',
    {
      schema: {
        operationId: 'deleteDrOperationToken',
        tags: ['dr-secondary'],
        summary: 'Delete a DR operation token on this DR secondary (a ceremony token has no TTL)',
        description:
          'Sends sys/replication/dr/secondary/operation-token/delete with the token as dr_operation_token. Answers ' +
          'deleted, or not_valid when Vault refused the token (so it is not usable here either). A batch token cannot ' +
          'be deleted: it lasts its TTL. The token is never echoed, logged or kept.',
        body: DeleteDrOperationTokenBody,
        response: {
          200: DrOperationTokenDeletion,
          ...errors,
          409: problemResponse('The cluster is not a DR secondary (SECONDARY_ERR_NOT_DR_SECONDARY)'),
        },
      },
    },
    async (request, reply) => {
      const result = await deleteDrOperationToken(agent, request.body.token)
      return reply.header('cache-control', 'no-store').send(result)
    },
  )
}
