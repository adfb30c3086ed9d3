import { ClusterStatus, CoreErrors, invalidFields, problemResponses, StatusQuery, sendStatusJson } from '@vault-dr/core'
import type { FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { StatusService } from './status.service.ts'

const MAX_AGE_MESSAGE = 'must be a whole number of milliseconds from 0 to 60000, in digits'

/**
 * max_age_ms in digits only. The schema's number coercion alone would read an empty value as 0 (ask Vault now) and
 * take `1e3` or `0x10` for numbers.
 */
function digitsOnlyMaxAge(request: FastifyRequest, _reply: unknown, done: HookHandlerDoneFunction) {
  const raw = (request.query as Record<string, unknown>).max_age_ms
  if (raw === undefined || (typeof raw === 'string' && /^\d{1,5}$/.test(raw))) {
    done()
    return
  }
  done(
    CoreErrors.validation(`Invalid querystring/max_age_ms: ${MAX_AGE_MESSAGE}`, {
      cause: invalidFields({ path: 'querystring/max_age_ms', message: MAX_AGE_MESSAGE }),
    }),
  )
}

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
