import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { stringParam } from '../dr/params.ts'
import { clientToken, type RouteAccess, unauthenticated } from './access.ts'
import { bodyOf, envelope } from './envelope.ts'
import { routeNotEmulated } from './not-emulated.ts'
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

  // Authenticated, but by unwrapRequest: Vault validates the wrapping token first (400s before any 403), and the
  // client token may be that wrapping token itself.
  app.route({
    method: write,
    url: '/v1/sys/wrapping/unwrap',
    config: { access: unauthenticated },
    handler: async (request) => {
      const data = await unwrapRequest(ctx, clientToken(request), stringParam(bodyOf(request.body), 'token'))
      return envelope({ data })
    },
  })

  const token: RouteAccess = { auth: 'token' }
  routeNotEmulated(app, '/v1/sys/wrapping/wrap', token)
  routeNotEmulated(app, '/v1/sys/wrapping/rewrap', token)
  // Unauthenticated (fact sheet 2.13) and Enterprise-only: Community Edition has no such path. Its operation is not
  // public, so every method gets the 501.
  routeNotEmulated(app, '/v1/sys/wrapping/pubkey', { auth: 'none', absentInCommunity: true }, ['GET', 'POST', 'PUT'])
}
