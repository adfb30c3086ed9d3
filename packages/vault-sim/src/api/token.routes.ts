import type { FastifyPluginAsync } from 'fastify'
import type { ClusterContext } from '../context.ts'
import { rfc3339 } from '../dr/dr-status.ts'
import { type Body, boolParam, listParam, parseDurationSeconds, stringParam } from '../dr/params.ts'
import { ERR_BATCH_NOT_REVOCABLE } from '../messages.ts'
import type { CreateTokenParams, TokenEntry } from '../tokens/token-store.ts'
import { badRequest, VaultError } from '../vault-error.ts'
import { bodyOf, envelope } from './envelope.ts'

const write = ['POST', 'PUT']
const rolePrefix = 'auth/token/roles/'

interface TokenRole {
  allowed_policies: string[]
  orphan: boolean
  renewable: boolean
  token_type: 'service' | 'batch' | 'default-service' | 'default-batch'
}

export const tokenRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  app.get('/v1/auth/token/lookup-self', async (request) => envelope({ data: lookupData(request.vaultToken) }))

  app.route({
    method: write,
    url: '/v1/auth/token/create',
    handler: async (request) => createToken(ctx, request.vaultToken, bodyOf(request.body), undefined),
  })

  app.route({
    method: write,
    url: '/v1/auth/token/create-orphan',
    handler: async (request) =>
      createToken(ctx, request.vaultToken, { ...bodyOf(request.body), no_parent: true }, undefined),
  })

  app.route<{ Params: { role: string } }>({
    method: write,
    url: '/v1/auth/token/create/:role',
    handler: async (request) => {
      const role = ctx.storage.get<TokenRole>(rolePrefix + request.params.role)
      if (!role) throw badRequest(`unknown role ${request.params.role}`)
      return createToken(ctx, request.vaultToken, bodyOf(request.body), { name: request.params.role, ...role })
    },
  })

  // Batch tokens are not tracked, so there is nothing to revoke: they live until their TTL.
  app.route({
    method: write,
    url: '/v1/auth/token/revoke',
    handler: async (request, reply) => {
      const entry = ctx.tokens.lookup(stringParam(bodyOf(request.body), 'token'))
      if (entry) revoke(ctx, entry)
      return reply.code(204).send()
    },
  })

  app.route({
    method: write,
    url: '/v1/auth/token/revoke-self',
    handler: async (request, reply) => {
      if (request.vaultToken) revoke(ctx, request.vaultToken)
      return reply.code(204).send()
    },
  })

  app.route<{ Params: { name: string } }>({
    method: write,
    url: '/v1/auth/token/roles/:name',
    handler: async (request, reply) => {
      const body = bodyOf(request.body)
      const role: TokenRole = {
        allowed_policies: listParam(body.allowed_policies),
        orphan: boolParam(body, 'orphan'),
        renewable: body.renewable === undefined ? true : boolParam(body, 'renewable'),
        token_type: (stringParam(body, 'token_type') || 'default-service') as TokenRole['token_type'],
      }
      ctx.storage.put(rolePrefix + request.params.name, role)
      return reply.code(204).send()
    },
  })

  app.get<{ Params: { name: string } }>('/v1/auth/token/roles/:name', async (request) => {
    const role = ctx.storage.get<TokenRole>(rolePrefix + request.params.name)
    if (!role) throw new VaultError(404)
    return envelope({ data: { name: request.params.name, ...role } })
  })
}

function createToken(
  ctx: ClusterContext,
  parent: TokenEntry | undefined,
  body: Body,
  role: (TokenRole & { name: string }) | undefined,
) {
  const requested = listParam(body.policies)
  const policies = role ? (requested.length ? requested : role.allowed_policies) : requested
  const parentPolicies = parent?.policies ?? []
  const allowed = role ? role.allowed_policies : parentPolicies
  if (!parentPolicies.includes('root') && policies.some((p) => p !== 'default' && !allowed.includes(p))) {
    throw badRequest('child policies must be subset of parent')
  }
  const type = stringParam(body, 'type') || role?.token_type.replace('default-', '') || 'service'
  if (type !== 'service' && type !== 'batch') throw badRequest(`invalid token type ${JSON.stringify(type)}`)
  const params: CreateTokenParams = {
    policies: policies.length ? policies : parentPolicies,
    type,
    ttlSeconds: body.ttl === undefined || body.ttl === '' ? undefined : parseDurationSeconds(body.ttl, 'ttl'),
    // Orphans only by the role's orphan=true, create-orphan or no_parent, for batch tokens as for service tokens.
    orphan: role?.orphan || boolParam(body, 'no_parent'),
    displayName: stringParam(body, 'display_name') || 'token',
    noDefaultPolicy: boolParam(body, 'no_default_policy'),
    path: role ? `auth/token/create/${role.name}` : 'auth/token/create',
  }
  const entry = ctx.tokens.create(params)
  return envelope({
    auth: {
      client_token: entry.id,
      accessor: entry.accessor,
      policies: entry.policies,
      token_policies: entry.policies,
      metadata: null,
      lease_duration: entry.ttl,
      renewable: entry.renewable,
      entity_id: '',
      token_type: entry.type,
      orphan: entry.orphan,
      mfa_requirement: null,
      num_uses: 0,
    },
  })
}

function revoke(ctx: ClusterContext, entry: TokenEntry): void {
  if (entry.type === 'batch') throw badRequest(ERR_BATCH_NOT_REVOCABLE)
  ctx.tokens.revoke(entry)
}

function lookupData(entry: TokenEntry | undefined) {
  if (!entry) return null
  const now = Math.floor(Date.now() / 1000)
  return {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.ttl,
    display_name: entry.displayName,
    entity_id: '',
    expire_time: entry.expireTime ? rfc3339(new Date(entry.expireTime * 1000)) : null,
    explicit_max_ttl: 0,
    id: entry.id,
    issue_time: rfc3339(new Date(entry.creationTime * 1000)),
    meta: null,
    num_uses: 0,
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: entry.expireTime ? Math.max(0, entry.expireTime - now) : 0,
    type: entry.type,
  }
}
