import { ClusterStatus, problemResponses, StatusQuery, sendSerializedJson, type VaultAgent } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

export const statusRoutes: FastifyPluginAsyncZod<{ agent: VaultAgent }> = async (app, { agent }) => {
  app.get(
    '/status',
    {
      schema: {
        operationId: 'getPrimaryStatus',
        tags: ['status'],
        summary: "The primary cluster's Vault and DR replication state",
        description:
          'Reachability, version, seal and HA role from sys/health, and DR replication from sys/replication/dr/status. ' +
          'Concurrent requests share one Vault round trip, reused for VAULT_DR_STATUS_CACHE_MS (max_age_ms=0: ask Vault now).',
        querystring: StatusQuery,
        response: { 200: ClusterStatus, ...problemResponses },
      },
    },
    // Sent as JSON checked against ClusterStatus once per Vault read, not once per request.
    async (request, reply) => sendSerializedJson(reply, await agent.statusJson(request.query.max_age_ms)),
  )
}
