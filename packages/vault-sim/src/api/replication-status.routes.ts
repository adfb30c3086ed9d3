import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { drStatus } from '../dr/dr-status.ts'
import type { RouteAccess } from './access.ts'
import { envelope } from './envelope.ts'

// Served by a node with no active node too: the status is read from local state.
const statusAccess: RouteAccess = { auth: 'none', onDrSecondary: true, whileLeaderless: true }

export const replicationStatusRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  // Not stubbed in Community Edition: there it reports {"mode":"disabled"}.
  app.get('/v1/sys/replication/status', { config: { access: statusAccess } }, async () =>
    envelope({
      data: ctx.runtime.enterprise ? { dr: drStatus(ctx), performance: { mode: 'disabled' } } : { mode: 'disabled' },
    }),
  )

  app.get(
    '/v1/sys/replication/dr/status',
    { config: { access: { ...statusAccess, enterpriseOnly: true } } },
    async () => envelope({ data: drStatus(ctx) }),
  )

  app.get(
    '/v1/sys/replication/performance/status',
    { config: { access: { ...statusAccess, enterpriseOnly: true } } },
    async () => envelope({ data: { mode: 'disabled' } }),
  )
}
