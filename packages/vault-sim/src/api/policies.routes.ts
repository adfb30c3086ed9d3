import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { listParam, stringParam } from '../dr/params.ts'
import { badRequest, VaultError } from '../vault-error.ts'
import { bodyOf, envelope } from './envelope.ts'

/** sys/policies/acl (and sys/capabilities-self): every policy write is a replicated storage write, so it advances last_wal. */
export const policiesRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  app.route({
    method: ['POST', 'PUT'],
    url: '/v1/sys/capabilities-self',
    handler: async (request) => {
      const body = bodyOf(request.body)
      const paths = listParam(body.paths ?? body.path)
      const data: Record<string, string[]> = {}
      for (const path of paths) {
        const caps = request.vaultToken ? ctx.tokens.capabilities(request.vaultToken, path) : new Set<string>()
        data[path] = caps === 'root' ? ['root'] : caps.size > 0 ? [...caps].sort() : ['deny']
      }
      const [only] = paths
      if (paths.length === 1 && only !== undefined) data.capabilities = data[only] ?? ['deny']
      return envelope({ data })
    },
  })

  app.get('/v1/sys/policies/acl', async () => {
    const keys = ctx.tokens.policyNames()
    return envelope({ data: { keys, policies: keys } })
  })

  app.get<{ Params: { name: string } }>('/v1/sys/policies/acl/:name', async (request) => {
    const { name } = request.params
    const policy = ctx.tokens.readPolicy(name)
    if (policy === undefined) throw new VaultError(404)
    return envelope({ data: { name, policy } })
  })

  app.route<{ Params: { name: string } }>({
    method: ['POST', 'PUT'],
    url: '/v1/sys/policies/acl/:name',
    handler: async (request, reply) => {
      const { name } = request.params
      const policy = stringParam(bodyOf(request.body), 'policy')
      if (name === 'root') throw badRequest('cannot update "root" policy')
      if (!policy) throw badRequest("'policy' parameter not supplied or empty")
      ctx.tokens.writePolicy(name, policy)
      return reply.code(204).send()
    },
  })

  app.delete<{ Params: { name: string } }>('/v1/sys/policies/acl/:name', async (request, reply) => {
    const { name } = request.params
    if (name === 'root' || name === 'default') throw badRequest(`cannot delete "${name}" policy`)
    ctx.tokens.deletePolicy(name)
    return reply.code(204).send()
  })
}
