import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { problemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { WRITE_CHECK_POLICY_NAME, WriteCheckResult } from './write-check.schemas.ts'
import { checkClusterWrites } from './write-check.service.ts'

export const writeCheckRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent }> = async (app, { agent }) => {
  app.post(
    '/cluster/write-check',
    {
      schema: {
        operationId: 'checkClusterWrites',
        tags: ['status'],
        summary: 'Whether the cluster accepts writes now (writes and reads back a harmless policy)',
        description:
          `Writes the ACL policy ${WRITE_CHECK_POLICY_NAME} (it grants nothing) with this agent's Vault token and ` +
          'reads it back, once, without retries. A DR secondary, a cluster with no active node yet (right after a ' +
          "role change), a sealed or unreachable Vault answer 200 with writable: false and Vault's reason, not an " +
          'error: this is how a switchover verifies the new primary accepts writes and the old one no longer does.',
        response: { 200: WriteCheckResult, ...problemResponses },
      },
    },
    async () => checkClusterWrites(agent),
  )
}
