import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { rfc3339 } from '../dr/dr-status.ts'
import { parseHostPort } from '../options.ts'
import type { RouteAccess } from './access.ts'
import { envelope } from './envelope.ts'
import { routeNotEmulated } from './not-emulated.ts'

const configurationUrl = '/v1/sys/storage/raft/configuration'

/**
 * The raft paths a DR secondary serves to a DR operation token (api-raft): autopilot state with the token as
 * X-Vault-Token (the harmless validation call), and the configuration by PUT with `dr_operation_token` in the body.
 * GET configuration stays locked down on a DR secondary (P11). One node per cluster: a single healthy voter.
 */
export const raftRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  const header: RouteAccess = { auth: 'token', drTokenOnSecondary: 'header' }
  const body: RouteAccess = { auth: 'token', drTokenOnSecondary: 'body' }

  app.get('/v1/sys/storage/raft/autopilot/state', { config: { access: header } }, async () =>
    envelope({ data: autopilotState(ctx) }),
  )
  app.get(configurationUrl, async () => envelope({ data: configuration(ctx) }))
  app.route({
    method: ['POST', 'PUT'],
    url: configurationUrl,
    config: { access: body },
    handler: async () => envelope({ data: configuration(ctx) }),
  })
  // Raft membership changes Vault takes with a DR operation token on a DR secondary; one node per cluster here.
  routeNotEmulated(app, '/v1/sys/storage/raft/:change(remove-peer|promote|demote)', body)
}

function nodeId(ctx: ClusterContext): string {
  return `${ctx.options.name}-node-1`
}

function raftAddress(ctx: ClusterContext): string {
  const { host, port } = parseHostPort(ctx.addrs.clusterAdvertise)
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

function autopilotState(ctx: ClusterContext) {
  const id = nodeId(ctx)
  const healthy = ctx.runtime.raftHealthy
  return {
    failure_tolerance: 0,
    healthy,
    leader: id,
    servers: {
      [id]: {
        address: raftAddress(ctx),
        healthy,
        id,
        last_contact: '0s',
        last_index: ctx.storage.lastWal,
        last_term: 1,
        name: id,
        node_status: 'alive',
        node_type: 'voter',
        stable_since: rfc3339(ctx.runtime.activeSince),
        status: 'leader',
        version: ctx.options.version.replace(/\+.*$/, ''),
      },
    },
    voters: [id],
  }
}

function configuration(ctx: ClusterContext) {
  return {
    config: {
      index: ctx.storage.lastWal,
      servers: [{ address: raftAddress(ctx), leader: true, node_id: nodeId(ctx), protocol_version: '3', voter: true }],
    },
  }
}
