import { createHash } from 'node:crypto'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { attemptStatus, cancelAttempt, provideShare, startAttempt } from '../ceremony/generate-operation-token.ts'
import type { ClusterContext } from '../context.ts'
import { authorizeDrOperation } from '../dr/dr-operation-token.ts'
import { rfc3339 } from '../dr/dr-status.ts'
import { stringParam } from '../dr/params.ts'
import { ERR_BATCH_NOT_REVOCABLE, ERR_PERMISSION_DENIED } from '../messages.ts'
import { isSecondaryMode } from '../state.ts'
import { badRequest, forbidden } from '../vault-error.ts'
import { clientToken, type RouteAccess } from './access.ts'
import { bodyOf, envelope } from './envelope.ts'
import { routeNotEmulated } from './not-emulated.ts'

const write = ['POST', 'PUT']
const prefix = '/v1/sys/replication/dr/secondary'
/** In Vault's unauthenticated list and served on a DR secondary (D1). */
const secondaryPath: RouteAccess = { auth: 'none', enterpriseOnly: true, onDrSecondary: true }

/**
 * The DR-secondary paths beyond promote/update-primary/disable (D1, fact sheet 2.5 and 2.8): the key-share ceremony,
 * operation-token/delete, reindex, recover, merkle-check and license/status. Paths a DR secondary has in Vault but
 * this emulator does not emulate answer 501, never the lockdown's "path disabled".
 */
export const drSecondaryMaintenanceRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  const config = { access: secondaryPath }
  // The ceremony is Vault's generate-root handler (fact sheet 2.5): raw JSON, outside the logical layer.
  const ceremony = { access: { ...secondaryPath, wrapTtl: 'raw' as const } }
  const onSecondary = () => {
    if (!isSecondaryMode(ctx.dr)) throw badRequest(ctx.options.compat.messages.notSecondary)
  }
  /** With compat.ceremonyAuth 'root', the ceremony's paths take a root token of the set (else 403). */
  const ceremonyCaller = (request: FastifyRequest) => {
    if (ctx.options.compat.ceremonyAuth === 'none') return
    const entry = ctx.tokens.lookup(clientToken(request) ?? '')
    if (entry === undefined || !entry.policies.includes('root')) throw forbidden(ERR_PERMISSION_DENIED)
  }
  const attemptUrl = `${prefix}/generate-operation-token/attempt`

  app.get(attemptUrl, { config: ceremony }, async (request) => {
    ceremonyCaller(request)
    onSecondary()
    return attemptStatus(ctx)
  })
  app.route({
    method: write,
    url: attemptUrl,
    config: ceremony,
    handler: async (request) => {
      ceremonyCaller(request)
      onSecondary()
      return startAttempt(ctx, bodyOf(request.body))
    },
  })
  app.delete(attemptUrl, { config: ceremony }, async (request, reply) => {
    ceremonyCaller(request)
    onSecondary()
    cancelAttempt(ctx)
    return reply.code(204).send()
  })
  app.route({
    method: write,
    url: `${prefix}/generate-operation-token/update`,
    config: ceremony,
    handler: async (request) => {
      ceremonyCaller(request)
      onSecondary()
      return provideShare(ctx, bodyOf(request.body))
    },
  })

  // Deletes the DR operation token given as the credential: a ceremony token goes; a batch token cannot be revoked.
  app.route({
    method: write,
    url: `${prefix}/operation-token/delete`,
    config,
    handler: async (request, reply) => {
      onSecondary()
      const body = bodyOf(request.body)
      authorizeDrOperation(ctx, body, 'sys/replication/dr/secondary/operation-token/delete')
      if (!ctx.operationTokens.delete(stringParam(body, 'dr_operation_token')))
        throw badRequest(ERR_BATCH_NOT_REVOCABLE)
      ctx.log('dr: deleted a DR operation token')
      return reply.code(204).send()
    },
  })

  app.route({
    method: write,
    url: `${prefix}/reindex`,
    config,
    handler: async (request) => {
      const dr = ctx.dr
      if (!isSecondaryMode(dr)) throw badRequest(ctx.options.compat.messages.notSecondary)
      authorizeDrOperation(ctx, bodyOf(request.body), 'sys/replication/dr/secondary/reindex')
      dr.reindexEpoch = String(Math.floor(Date.now() / 1000))
      // A reindex rebuilds the merkle tree from storage: a corruption is gone once it ran.
      ctx.runtime.merkleCorrupted = false
      return envelope({ warnings: [ctx.options.compat.messages.reindexStarted] })
    },
  })

  app.route({
    method: write,
    url: `${prefix}/recover`,
    config,
    handler: async () => {
      onSecondary()
      ctx.secondaryLink.resume()
      return envelope({ warnings: [ctx.options.compat.messages.recoverStarted] })
    },
  })

  app.route({
    method: write,
    url: `${prefix}/merkle-check`,
    config,
    handler: async (request) => {
      onSecondary()
      authorizeDrOperation(ctx, bodyOf(request.body), 'sys/replication/dr/secondary/merkle-check')
      ctx.runtime.lastCorruptionCheck = new Date()
      return envelope({ data: { merkle_corruption_report: merkleReport(ctx, ctx.runtime.lastCorruptionCheck) } })
    },
  })

  app.get(`${prefix}/license/status`, { config }, async () => envelope({ data: licenseStatus() }))
  app.get('/v1/sys/license/status', { config: { access: { auth: 'token', enterpriseOnly: true } } }, async () =>
    envelope({ data: licenseStatus() }),
  )

  for (const url of [`${prefix}/license`, `${prefix}/license/signed`, `${prefix}/config/reload/*`]) {
    routeNotEmulated(app, url, secondaryPath, ['GET', 'POST', 'PUT'])
  }
  // In Vault's unauthenticated list under this odd name (fact sheet 2.13), apart from config/reload/<subsystem>;
  // not in Community Edition's stub table. A reload is an update.
  routeNotEmulated(app, `${prefix}/sys/config/reload/license`, {
    auth: 'none',
    onDrSecondary: true,
    absentInCommunity: true,
  })
}

/** P12's shape: the replicated and the local tree; the replicated one corrupted after faults.corruptMerkleTree. */
function merkleReport(ctx: ClusterContext, at: Date) {
  const rootHash = (tree: string) => createHash('sha1').update(`${tree}:${ctx.storage.merkleRoot()}`).digest('base64')
  const corrupted = ctx.runtime.merkleCorrupted
  // P12: the replicated tree lists the index pages it checked (a page with `corrupted: false` is a healthy one); the
  // local tree answers null.
  const tuples = (type: 'replicated' | 'local') =>
    type === 'local' ? null : { '5': { corrupted: corrupted, subpages: [28] } }
  const tree = (type: 'replicated' | 'local') => ({
    corrupted_index_tuples_map: tuples(type),
    corrupted_subtree_root: corrupted && type === 'replicated',
    root_hash: rootHash(type),
    tree_type: type,
  })
  return {
    corrupted_root: corrupted,
    corrupted_tree_map: { '1': tree('replicated'), '2': tree('local') },
    last_corruption_check_epoch: rfc3339(at),
  }
}

function licenseStatus() {
  return {
    autoloading_used: true,
    autoloaded: {
      expiration_time: '2030-01-01T00:00:00Z',
      features: ['DR Replication', 'Integrated Storage'],
      license_id: 'vault-sim-license',
      start_time: '2024-01-01T00:00:00Z',
      termination_time: '2030-01-01T00:00:00Z',
    },
  }
}
