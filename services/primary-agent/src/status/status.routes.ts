import {
  ClusterStatus,
  digitsOnlyMaxAge,
  problemResponses,
  SecondaryId,
  StatusQuery,
  sendStatusJson,
  type VaultAgent,
} from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

const PrimaryStatusQuery = StatusQuery.extend({
  secondary_id: SecondaryId.optional().describe(
    "Only this secondary's entries in replication.known_secondaries and replication.secondaries: a primary with " +
      'thousands of secondaries answers in a few KB instead of hundreds.',
  ),
})

/** The status with only one secondary's entries, for whoever follows that secondary. */
function forSecondary(status: ClusterStatus, secondaryId: string): ClusterStatus {
  const r = status.replication
  if (r === null) return status
  return {
    ...status,
    replication: {
      ...r,
      known_secondaries: r.known_secondaries.filter((id) => id === secondaryId),
      secondaries: r.secondaries.filter((s) => s.node_id === secondaryId),
    },
  }
}

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
        querystring: PrimaryStatusQuery,
        response: { 200: ClusterStatus, ...problemResponses },
      },
      preValidation: digitsOnlyMaxAge,
    },
    (request, reply) => {
      const { max_age_ms: maxAge, secondary_id: secondaryId } = request.query
      if (secondaryId !== undefined) {
        return agent.status(maxAge).then((s) => {
          reply.send(forSecondary(s, secondaryId))
        })
      }
      // Sent as JSON checked against ClusterStatus once per Vault read, not once per request.
      return sendStatusJson(reply, agent, maxAge)
    },
  )
}
