import type { FastifyPluginAsync } from 'fastify'
import { sealConfig } from '../ceremony/seal-shares.ts'
import { type ClusterContext, isLeaderless, isSealed } from '../context.ts'
import { GO_ZERO_TIME } from '../messages.ts'
import { badRequest, VaultError } from '../vault-error.ts'
import type { RouteAccess } from './access.ts'
import { routeNotEmulated } from './not-emulated.ts'

const alwaysAnswers: RouteAccess = {
  auth: 'none',
  whileSealed: true,
  whileLeaderless: true,
  onDrSecondary: true,
  wrapTtl: 'raw',
}

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
    t: sealConfig(ctx.storage).threshold,
    n: sealConfig(ctx.storage).shares,
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

  // Vault's unseal is answered while sealed and on DR secondaries alike; here clusters are unsealed by the fault of
  // that name (the shares are checked only by the DR operation token ceremony).
  routeNotEmulated(app, '/v1/sys/unseal', alwaysAnswers)

  // With no active node (after a role change) there is no leader to name: what enos' wait-for-leader polls.
  const leaderAccess: RouteAccess = { auth: 'none', onDrSecondary: true, whileLeaderless: true, wrapTtl: 'raw' }
  app.get('/v1/sys/leader', { config: { access: leaderAccess } }, async () => ({
    ha_enabled: true,
    is_self: !isLeaderless(ctx),
    active_time: isLeaderless(ctx) ? GO_ZERO_TIME : ctx.runtime.activeSince.toISOString(),
    leader_address: isLeaderless(ctx) ? '' : (ctx.addrs.apiAdvertise ?? ''),
    leader_cluster_address: isLeaderless(ctx) ? '' : ctx.addrs.clusterAdvertise,
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
    last_wal: ctx.storage.lastWal,
    raft_committed_index: ctx.storage.lastWal,
    raft_applied_index: ctx.storage.lastWal,
  }))
}

/**
 * Vault parses `*code` with strconv.Atoi (signed integers) and ParseBool for standbyok/perfstandbyok, and answers a
 * bad one with 400 and an empty `errors` array (D14). Node cannot send a status outside 100-999, so such a code is
 * refused the same way.
 */
function parseCodes(ctx: ClusterContext, query: HealthQuery) {
  const codes = { ...defaultCodes, standbyok: false }
  const refuse = (name: string, raw: string) =>
    ctx.options.compat.badHealthParamErrors === 'empty'
      ? new VaultError(400)
      : badRequest(ctx.options.compat.messages.badHealthParam(name, raw))
  for (const name of Object.keys(defaultCodes) as Array<keyof typeof defaultCodes>) {
    const raw = query[name]
    if (raw === undefined) continue
    const code = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN
    if (!(code >= 100 && code <= 999)) throw refuse(name, raw)
    codes[name] = code
  }
  for (const name of ['standbyok', 'perfstandbyok'] as const) {
    const raw = query[name]
    if (raw === undefined) continue
    const value = goParseBool(raw === '' ? 'true' : raw)
    if (value === undefined) throw refuse(name, raw)
    if (name === 'standbyok') codes.standbyok = value
  }
  return codes
}

function goParseBool(raw: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false
  return undefined
}

/**
 * Vault's precedence: uninitialised, sealed, DR secondary, standby, active. A node is a standby only in the brief
 * period with no active node after a role change (one node per cluster); `standbyok` turns that into the active code.
 */
function healthStatus(ctx: ClusterContext, codes: ReturnType<typeof parseCodes>): number {
  if (!ctx.runtime.initialized) return codes.uninitcode
  if (isSealed(ctx)) return codes.sealedcode
  if (ctx.dr.mode === 'secondary' || ctx.dr.mode === 'bootstrapping') return codes.drsecondarycode
  if (isLeaderless(ctx) && !codes.standbyok) return codes.standbycode
  return codes.activecode
}

/**
 * A sealed node is a standby (Vault's sealInternal sets standby) and a standby reports the active node's replication
 * state, which a sealed node does not know: `unknown` (http/sys_health.go; the sealed Enterprise health fixture
 * in HashiCorp's ui/tests/acceptance/init-test.js, and published sealed outputs, show exactly this). `last_wal` only on
 * an active, unsealed node (§5.1): not in the window with no active node.
 */
function healthBody(ctx: ClusterContext) {
  const sealed = isSealed(ctx) || !ctx.runtime.initialized
  const standby = sealed || isLeaderless(ctx)
  const enterprise = ctx.runtime.enterprise
  return {
    initialized: ctx.runtime.initialized,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: sealed ? 'unknown' : 'disabled',
    replication_dr_mode: sealed ? 'unknown' : ctx.dr.mode,
    server_time_utc: Math.floor(Date.now() / 1000),
    version: version(ctx),
    enterprise,
    ...(sealed ? {} : clusterIdentity(ctx)),
    ...(!standby && { last_wal: ctx.storage.lastWal }),
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
