import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import {
  disableSecondary,
  enableSecondary,
  generatePublicKey,
  promoteSecondary,
  updatePrimary,
} from '../dr/dr-secondary.service.ts'
import type { RouteAccess } from './access.ts'
import { bodyOf, envelope } from './envelope.ts'

const write = ['POST', 'PUT']
const prefix = '/v1/sys/replication/dr/secondary'
/** promote, update-primary and disable are unauthenticated: the dr_operation_token in the body is the credential. */
const operationTokenAccess: RouteAccess = {
  auth: 'none',
  enterpriseOnly: true,
  onDrSecondary: true,
  checksClientTokenOffSecondary: true,
}

export const drSecondaryRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  // Needs a token of the (future) secondary itself.
  app.route({
    method: write,
    url: `${prefix}/enable`,
    config: { access: { auth: 'token', enterpriseOnly: true } },
    handler: async (request) => envelope({ warnings: await enableSecondary(ctx, bodyOf(request.body)) }),
  })

  // Called on the just-demoted cluster in HashiCorp's failover CI (enos), with a client token: the path is not in
  // Vault's unauthenticated list (fact sheet 2.13), so the token needs update on it, on a DR secondary as elsewhere.
  app.route({
    method: write,
    url: `${prefix}/generate-public-key`,
    config: { access: { auth: 'token', enterpriseOnly: true, onDrSecondary: true } },
    handler: async () => envelope({ data: generatePublicKey(ctx) }),
  })

  app.route({
    method: write,
    url: `${prefix}/promote`,
    config: { access: operationTokenAccess },
    handler: async (request) => envelope({ warnings: await promoteSecondary(ctx, bodyOf(request.body)) }),
  })

  app.route({
    method: write,
    url: `${prefix}/update-primary`,
    config: { access: operationTokenAccess },
    handler: async (request, reply) => {
      const warnings = await updatePrimary(ctx, bodyOf(request.body))
      return warnings === undefined ? reply.code(204).send() : envelope({ warnings })
    },
  })

  app.route({
    method: write,
    url: `${prefix}/disable`,
    config: { access: operationTokenAccess },
    handler: async (request) => envelope({ warnings: disableSecondary(ctx, bodyOf(request.body)) }),
  })
}
