import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { MerkleCheckBody, MerkleCheckResult } from './merkle-check.schemas.ts'
import { checkMerkleTrees } from './merkle-check.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

export const merkleCheckRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent }> = async (app, { agent }) => {
  app.post(
    '/dr/secondary/merkle-check',
    {
      schema: {
        operationId: 'checkDrMerkleTree',
        tags: ['dr-secondary'],
        summary: "Run Vault's merkle-check on this DR secondary, changing nothing",
        description:
          'Calls sys/replication/dr/secondary/merkle-check with the DR operation token in its body and as the ' +
          "client token (the path is not in Vault's unauthenticated list): Vault reports whether any of its merkle " +
          'trees is corrupted. Answers clean, corrupted (reindex before relying on this secondary) or inconclusive ' +
          '(Vault refused the token, or does not serve the call), with a code and a fix. The token is never echoed, ' +
          'logged or kept.',
        body: MerkleCheckBody,
        response: {
          200: MerkleCheckResult,
          ...errors,
          409: problemResponse('The cluster is not a DR secondary (SECONDARY_ERR_NOT_DR_SECONDARY)'),
        },
      },
    },
    async (request, reply) => {
      const result = await checkMerkleTrees(agent, request.body.dr_operation_token)
      return reply.header('cache-control', 'no-store').send(result)
    },
  )
}
