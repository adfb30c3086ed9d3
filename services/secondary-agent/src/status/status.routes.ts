import { ClusterStatus, digitsOnlyMaxAge, problemResponses, StatusQuery, sendStatusJson } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { StatusService } from './status.service.ts'

export const statusRoutes: FastifyPluginAsyncZod<{ service: StatusService }> = async (app, { service }) => {
  app.get(
    '/status',
    {
      schema: {
        operationId: 'getSecondaryStatus',
        tags: ['status'],
        summary: "The secondary cluster's Vault health and DR replication state",
        description:
          'sys/health (472 is the normal answer of a DR secondary) and sys/replication/dr/status, read together. ' +
          'Concurrent callers share one read of Vault, reused for VAULT_DR_STATUS_CACHE_MS (max_age_ms=0: ask Vault now).',
        querystring: StatusQuery,
        response: { 200: ClusterStatus, ...problemResponses },
      },
      preValidation: digitsOnlyMaxAge,
    },
    // Sent as JSON checked against ClusterStatus once per Vault read, not once per request.
    (request, reply) => sendStatusJson(reply, service, request.query.max_age_ms),
  )
}
