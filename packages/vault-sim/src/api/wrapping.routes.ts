import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { stringParam } from '../dr/params.ts'
import { clientToken, unauthenticated } from './access.ts'
import { bodyOf, envelope } from './envelope.ts'
import { unwrapRequest } from './unwrap-request.ts'

const write = ['POST', 'PUT']

export const wrappingRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  // Unauthenticated and non-consuming: the safe pre-flight check of an activation token.
  app.route({
    method: write,
    url: '/v1/sys/wrapping/lookup',
    config: { access: unauthenticated },
    handler: async (request) => {
      const token = stringParam(bodyOf(request.body), 'token') || (clientToken(request) ?? '')
      return envelope({ data: await ctx.wrapping.lookup(token) })
    },
  })

  // The client token, when there is one, is checked by unwrapRequest: it may be the wrapping token itself.
  app.route({
    method: write,
    url: '/v1/sys/wrapping/unwrap',
    config: { access: unauthenticated },
    handler: async (request) => {
      const data = await unwrapRequest(ctx, clientToken(request), stringParam(bodyOf(request.body), 'token'))
      return envelope({ data })
    },
  })
}
