import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import {
  createSecondaryToken,
  demotePrimary,
  disablePrimary,
  enablePrimary,
  revokeSecondary,
} from '../dr/dr-primary.service.ts'
import { stringParam } from '../dr/params.ts'
import { notEmulated } from '../vault-error.ts'
import { type RouteAccess, wrapTtlRequested } from './access.ts'
import { bodyOf, envelope } from './envelope.ts'

const write = ['POST', 'PUT']
const primaryAccess: RouteAccess = { auth: 'token', enterpriseOnly: true }
const prefix = '/v1/sys/replication/dr/primary'

export const drPrimaryRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  const config = { access: primaryAccess }

  app.route({
    method: write,
    url: `${prefix}/enable`,
    config,
    handler: async (request) => envelope({ warnings: await enablePrimary(ctx, bodyOf(request.body)) }),
  })

  // Response-wrapped (wrap TTL from the `ttl` parameter, no X-Vault-Wrap-TTL needed), or in data.token when
  // sealed to a secondary_public_key: that answer is not wrapped here, so a wrap request for it is not emulated.
  app.route({
    method: write,
    url: `${prefix}/secondary-token`,
    config: { access: { ...primaryAccess, sudo: true, wrapTtl: 'wraps' } },
    handler: async (request) => {
      const body = bodyOf(request.body)
      if (wrapTtlRequested(request) && stringParam(body, 'secondary_public_key') !== '') throw notEmulated()
      return envelope(await createSecondaryToken(ctx, body))
    },
  })

  app.route({
    method: write,
    url: `${prefix}/revoke-secondary`,
    config,
    handler: async (request, reply) => {
      revokeSecondary(ctx, bodyOf(request.body))
      return ctx.options.compat.revokeSecondaryStatus === 204 ? reply.code(204).send() : envelope()
    },
  })

  app.route({
    method: write,
    url: `${prefix}/demote`,
    config,
    handler: async () => envelope({ warnings: demotePrimary(ctx) }),
  })
  app.route({
    method: write,
    url: `${prefix}/disable`,
    config,
    handler: async () => envelope({ warnings: disablePrimary(ctx) }),
  })
}
