import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { rfc3339 } from '../dr/dr-status.ts'
import { VaultError } from '../vault-error.ts'
import { bodyOf, envelope } from './envelope.ts'

const prefix = 'kv/secret/'

interface KvEntry {
  data: Record<string, unknown>
  version: number
  created_time: string
}

/**
 * A KV v2 engine at `secret/` (as `vault server -dev` mounts one): writes an outside client can make through the API,
 * each a replicated write that advances last_wal. Only the `data` paths; no metadata, deletes of versions or CAS.
 */
export const kvRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  app.route<{ Params: { '*': string } }>({
    method: ['POST', 'PUT'],
    url: '/v1/secret/data/*',
    handler: async (request) => {
      const data = bodyOf(request.body).data
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new VaultError(400, 'no data provided')
      }
      const key = prefix + request.params['*']
      const version = (ctx.storage.get<KvEntry>(key)?.version ?? 0) + 1
      const entry: KvEntry = { data: data as Record<string, unknown>, version, created_time: rfc3339(new Date()) }
      ctx.storage.put(key, entry)
      return envelope({ data: metadataOf(entry) })
    },
  })

  app.get<{ Params: { '*': string } }>('/v1/secret/data/*', async (request) => {
    const entry = ctx.storage.get<KvEntry>(prefix + request.params['*'])
    if (!entry) throw new VaultError(404)
    return envelope({ data: { data: entry.data, metadata: metadataOf(entry) } })
  })
}

function metadataOf(entry: KvEntry) {
  return {
    created_time: entry.created_time,
    custom_metadata: null,
    deletion_time: '',
    destroyed: false,
    version: entry.version,
  }
}
