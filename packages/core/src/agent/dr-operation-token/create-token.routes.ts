import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { CreateDrOperationTokenBody, DrOperationToken } from './create-token.schemas.ts'
import { createDrOperationToken } from './create-token.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

export const createDrOperationTokenRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent; defaultTtl: string }> = async (
  app,
  { agent, defaultTtl },
) => {
  app.post(
    '/dr/operation-token',
    {
      schema: {
        operationId: 'createDrOperationToken',
        tags: ['dr-primary'],
        summary: 'Issue a batch DR operation token (policy and token role written when needed)',
        description:
          'Writes the policy and token role vault-dr-dr-operation when they are missing or differ (fact sheet 2.6), ' +
          'then issues a batch token with the request ttl, else VAULT_DR_OPERATION_TOKEN_TTL (8h). The token ' +
          'replicates to the DR secondaries, where promote and update-primary accept it as dr_operation_token. It is ' +
          'answered once (Cache-Control: no-store) and never logged or kept. Batch tokens cannot be renewed or revoked.',
        body: CreateDrOperationTokenBody,
        response: {
          201: DrOperationToken,
          ...errors,
          409: problemResponse('The cluster is not a DR primary (PRIMARY_ERR_NOT_PRIMARY)'),
        },
      },
    },
    async (request, reply) => {
      const made = await createDrOperationToken(agent, request.body.ttl ?? defaultTtl)
      return reply.status(201).header('cache-control', 'no-store').send(made)
    },
  )
}
