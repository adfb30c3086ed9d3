import type { FastifyInstance, HTTPMethods } from 'fastify'
import { notEmulated } from '../vault-error.ts'
import type { RouteAccess } from './access.ts'

/** A path Vault serves and vault-sim does not: routed (so the access rules apply as in Vault), answering 501. */
export function routeNotEmulated(
  app: FastifyInstance,
  url: string,
  access: RouteAccess,
  method: HTTPMethods[] = ['POST', 'PUT'],
): void {
  app.route({
    method,
    url,
    config: { access },
    handler: async () => {
      throw notEmulated()
    },
  })
}
