import { Problem } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ActivateSecondaryRequest, ActivationResult } from './dr-secondary.schemas.ts'
import type { DrSecondaryService } from './dr-secondary.service.ts'

export const drSecondaryRoutes: FastifyPluginAsyncZod<{ service: DrSecondaryService }> = async (app, { service }) => {
  app.post(
    '/dr/secondary/activate',
    {
      schema: {
        operationId: 'activateDrSecondary',
        tags: ['dr-secondary'],
        summary: 'Activate this cluster as a DR secondary (wipes its data)',
        description:
          'Calls sys/replication/dr/secondary/enable after the guard rails: confirm_wipe must be true, and the ' +
          "cluster must be unsealed and neither a DR primary nor already a secondary. Vault's failures come back " +
          "as coded problems with a cause and a fix, Vault's own answer in upstream (token scrubbed). Answers when " +
          'Vault accepted; poll getSecondaryStatus for stream-wals.',
        body: ActivateSecondaryRequest,
        response: {
          200: ActivationResult,
          400: Problem,
          401: Problem,
          409: Problem,
          413: Problem,
          415: Problem,
          502: Problem,
          503: Problem,
          504: Problem,
        },
      },
    },
    async (request) => service.activate(request.body, request.log),
  )
}
