import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponses } from '../../problem.ts'
import { InspectTokenRequest, TokenInspection } from './tokens.schemas.ts'
import type { TokensService } from './tokens.service.ts'

export const tokensRoutes: FastifyPluginAsyncZod<{ service: TokensService }> = async (app, { service }) => {
  app.post(
    '/tokens/inspect',
    {
      schema: {
        operationId: 'inspectToken',
        tags: ['tokens'],
        summary: 'Decode an activation token and check it with its issuer, without consuming it',
        description:
          'Decodes the JWT claims (the signature can only be checked by the issuing primary), then asks the primary ' +
          'with sys/wrapping/lookup, which does not consume the token. An unreachable primary is reported in lookup, ' +
          'not as an error. The token and its jti are never returned or logged.',
        body: InspectTokenRequest,
        response: { 200: TokenInspection, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => service.inspect(request.body),
  )
}
