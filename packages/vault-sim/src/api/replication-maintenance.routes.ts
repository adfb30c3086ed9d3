import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import type { RouteAccess } from './access.ts'
import { routeNotEmulated } from './not-emulated.ts'

const prefix = '/v1/sys/replication'

/**
 * The cluster-wide replication maintenance paths (fact sheet 2.12), routed so Vault's access rules apply and then
 * answered 501. reindex and dr/reindex are sudo paths (2.2); recover and reindex are stubbed in Community Edition
 * (2.13), merkle-check and dr/reindex are not there at all. A DR secondary locks them all down: it has its own
 * dr/secondary variants.
 */
export const replicationMaintenanceRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app) => {
  const stubbed: RouteAccess = { auth: 'token', enterpriseOnly: true }
  const unstubbed: RouteAccess = { auth: 'token', absentInCommunity: true }
  routeNotEmulated(app, `${prefix}/reindex`, { ...stubbed, sudo: true })
  routeNotEmulated(app, `${prefix}/recover`, stubbed)
  routeNotEmulated(app, `${prefix}/merkle-check`, unstubbed)
  routeNotEmulated(app, `${prefix}/dr/reindex`, { ...unstubbed, sudo: true })
}
