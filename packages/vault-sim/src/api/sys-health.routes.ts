import type { FastifyPluginAsync } from 'fastify'
import { type ClusterContext, isSealed } from '../context.ts'
import { badRequest } from '../vault-error.ts'
import type { RouteAccess } from './access.ts'

const alwaysAnswers: RouteAccess = { auth: 'none', whileSealed: true, onDrSecondary: true }

const defaultCodes = {
  activecode: 200,
  standbycode: 429,
  drsecondarycode: 472,
  performancestandbycode: 473,
  sealedcode: 503,
  uninitcode: 501,
  removedcode: 530,
  haunhealthycode: 474,
}

type HealthQuery = Record<string, string | undefined>

/** sys/health, sys/seal-status and sys/leader: unauthenticated, answered on DR secondaries too. */
export const sysHealthRoutes: FastifyPluginAsync<{ ctx: ClusterContext }> = async (app, { ctx }) => {
  app.get('/v1/sys/health', { config: { access: alwaysAnswers } }, async (request, reply) => {
    const codes = parseCodes(ctx, request.query as HealthQuery)
    return reply.code(healthStatus(ctx, codes)).send(healthBody(ctx))
  })

  app.get('/v1/sys/seal-status', { config: { access: alwaysAnswers } }, async () => ({
    type: 'shamir',
    initialized: ctx.runtime.initialized,
    sealed: isSealed(ctx),
    t: 1,
    n: 1,
    progress: 0,
    nonce: '',
    version: version(ctx),
    build_date: '2024-08-28T00:00:00Z',
    migration: false,
    ...clusterIdentity(ctx),
    recovery_seal: false,
    storage_type: 'raft',
    removed_from_cluster: false,
  }))

  app.get('/v1/sys/leader', { config: { access: { auth: 'none', onDrSecondary: true } } }, async () => ({
    ha_enabled: true,
    is_self: true,
    active_time: ctx.runtime.activeSince.toISOString(),
    leader_address: ctx.addrs.apiAdvertise ?? '',
    leader_cluster_address: ctx.addrs.clusterAdvertise,
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
    last_wal: ctx.storage.lastWal,
    raft_committed_index: ctx.storage.lastWal,
    raft_applied_index: ctx.storage.lastWal,
  }))
}

function parseCodes(ctx: ClusterContext, query: HealthQuery) {
  const codes = { ...defaultCodes }
  for (const name of Object.keys(codes) as Array<keyof typeof codes>) {
    const raw = query[name]
    if (raw === undefined) continue
    const code = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
    // Node cannot send a status outside 100-999.
    if (!(code >= 100 && code <= 999)) throw badRequest(ctx.options.compat.messages.badHealthParam(name, raw))
    codes[name] = code
  }
  for (const name of ['standbyok', 'perfstandbyok']) {
    const raw = query[name]
    if (raw !== undefined && !['', 'true', 'false', '1', '0', 't', 'f'].includes(raw.toLowerCase())) {
      throw badRequest(ctx.options.compat.messages.badHealthParam(name, raw))
    }
  }
  return codes
}

/** Vault's precedence: uninitialised, sealed, DR secondary, (standbys: never here), active. */
function healthStatus(ctx: ClusterContext, codes: typeof defaultCodes): number {
  if (!ctx.runtime.initialized) return codes.uninitcode
  if (isSealed(ctx)) return codes.sealedcode
  if (ctx.dr.mode === 'secondary' || ctx.dr.mode === 'bootstrapping') return codes.drsecondarycode
  return codes.activecode
}

function healthBody(ctx: ClusterContext) {
  const sealed = isSealed(ctx) || !ctx.runtime.initialized
  const enterprise = ctx.runtime.enterprise
  return {
    initialized: ctx.runtime.initialized,
    sealed,
    standby: false,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: ctx.dr.mode,
    server_time_utc: Math.floor(Date.now() / 1000),
    version: version(ctx),
    enterprise,
    ...(sealed ? {} : { ...clusterIdentity(ctx), last_wal: ctx.storage.lastWal }),
    ...(enterprise && { license: { state: 'autoloaded', expiry_time: '2030-01-01T00:00:00Z', terminated: false } }),
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
    removed_from_cluster: false,
  }
}

function clusterIdentity(ctx: ClusterContext) {
  return isSealed(ctx) ? {} : { cluster_name: ctx.options.name, cluster_id: ctx.localClusterId }
}

/** Community Edition reports the version without the `+ent` suffix. */
export function version(ctx: ClusterContext): string {
  return ctx.runtime.enterprise ? ctx.options.version : ctx.options.version.replace(/\+(ent|prem)(\.hsm)?$/, '')
}
