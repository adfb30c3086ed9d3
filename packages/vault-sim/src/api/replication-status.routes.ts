import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { drStatus } from '../dr/dr-status.ts'
import type { RouteAccess } from './access.ts'
import { envelope } from './envelope.ts'

// Not whileLeaderless: a node without an active node forwards these and fails, as any other path (D5).
const statusAccess: RouteAccess = { auth: 'none', onDrSecondary: true }

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
