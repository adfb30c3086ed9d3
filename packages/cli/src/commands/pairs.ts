import type { components } from '@vault-dr/gateway/openapi'
import { checkFix } from '../cli-fixes.ts'
import { armedFence } from '../cluster-health.ts'
import { ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, type Output, table } from '../output.ts'

type Pair = components['schemas']['Pair']
type PairReadiness = components['schemas']['PairReadiness']

const orDash = (v: number | string | null | undefined) => (v === null || v === undefined ? '-' : String(v))

/** The operation holding a cluster of the pair, in words; undefined when none does. */
function heldBy(pair: Pair): string | undefined {
  const held = pair.held_by
  if (held == null) return undefined
  return `held by ${held.kind} ${held.id} (${held.state}): the roles shown may change by themselves until it ends (a drill switches back after its hold); "vault-dr operations show ${held.id}"`
}

function tokenExpiry(pair: Pair): string {
  const token = pair.dr_operation_token
  return token === null ? 'none' : `${token.expires_at} (${Math.round(token.remaining_s / 60)} min left)`
}

export async function listPairs(api: GatewayApi, out: Output) {
  const { pairs } = expectData(await api.GET('/v1/pairs'))
  if (out.json) {
    out.out(JSON.stringify(pairs))
    return ExitCode.ok
  }
  const rows = [['SECONDARY', 'PRIMARY', 'SECONDARY ID', 'STATE', 'LAG (WALS)', 'HEARTBEAT AGE', 'DR TOKEN EXPIRES']]
  for (const p of pairs) {
    rows.push([
      p.secondary,
      p.primary,
      p.secondary_id,
      p.clusters.secondary.agent_reachable
        ? `${orDash(p.clusters.secondary.state)}/${orDash(p.connection_state)}`
        : 'agent unreachable',
      orDash(p.lag.wals),
      p.heartbeat_age_s === null ? '-' : `${p.heartbeat_age_s}s`,
      tokenExpiry(p),
    ])
  }
  out.out(
    pairs.length === 0 ? 'no pairs: a pair appears once a handshake joined a secondary to its primary' : table(rows),
  )
  for (const p of pairs) {
    const held = heldBy(p)
    if (held !== undefined) out.out(`${p.secondary}: ${held}`)
  }
  // A cluster a failover went away from is in no pair until it rejoins: said here, where it would be looked for (a
  // note: the pairs were listed whether or not the clusters can be read).
  const registered = await api.GET('/v1/clusters', { params: { query: { live: 'false' } } }).catch(() => undefined)
  for (const c of registered?.data?.clusters ?? []) {
    const fence = armedFence(c)
    if (fence === undefined) continue
    out.out(
      `${c.name}: fenced by failover ${fence.failover_id} (${fence.new_primary} took its place): in no pair until "vault-dr rejoin ${c.name}" makes it ${fence.new_primary}'s DR secondary`,
    )
  }
  return ExitCode.ok
}

function renderReadiness(r: PairReadiness): string {
  const { pair } = r
  const side = (c: Pair['clusters']['primary']) =>
    c.agent_reachable
      ? `${c.name}: ${orDash(c.mode)} ${orDash(c.state)}, Vault ${orDash(c.version)}, ${c.sealed === false ? 'unsealed' : 'sealed or unknown'}`
      : `${c.name}: agent unreachable (${c.error?.code ?? 'unknown'})`
  const held = heldBy(pair)
  const lines = [
    `pair ${pair.secondary} (secondary id ${pair.secondary_id}) of primary ${pair.primary}: ${r.ready ? 'READY' : 'NOT READY'} to fail over${pair.held_by == null ? '' : ` once ${pair.held_by.kind} ${pair.held_by.id} ends`}`,
    ...(held === undefined ? [] : [`  ${held}`]),
    `  primary   ${side(pair.clusters.primary)}`,
    `  secondary ${side(pair.clusters.secondary)}`,
    `  connection ${orDash(pair.connection_state)}, primary sees it ${orDash(pair.primary_sees_secondary)}`,
    `  lag ${orDash(pair.lag.wals)} WALs (compared ${orDash(pair.lag.age_s)} s ago), heartbeat ${orDash(pair.heartbeat_age_s)} s ago`,
    `  DR operation token: ${tokenExpiry(pair)}`,
    '',
    table([
      ['CHECK', 'NAME', 'STATUS', 'CODE'],
      ...r.checks.map((c) => [c.id, c.name, c.status.toUpperCase(), c.code]),
    ]),
  ]
  for (const c of r.checks.filter((check) => check.status !== 'pass')) {
    const fix = checkFix(c)
    lines.push(`${c.status} ${c.name}: ${c.detail}${fix ? `\n  fix: ${fix}` : ''}`)
  }
  return lines.join('\n')
}

/** One pair and whether it could fail over now; exits 1 when a readiness check fails. */
export async function showPair(api: GatewayApi, out: Output, secondary: string, maxLagWals: number | undefined) {
  const readiness = expectData(
    await api.GET('/v1/pairs/{secondary}/readiness', {
      params: { path: { secondary }, query: maxLagWals === undefined ? {} : { max_lag_wals: maxLagWals } },
    }),
  )
  out.out(out.json ? JSON.stringify(readiness) : renderReadiness(readiness))
  return readiness.ready ? ExitCode.ok : ExitCode.failed
}

type AutoFailover = components['schemas']['PairAutoFailover']

const renderAutoFailover = (secondary: string, a: AutoFailover) =>
  [
    `automatic failover of ${secondary}: ${a.enabled ? `on, after ${a.down_for} lost` : 'off'}`,
    ...(a.last_fired_at ? [`last started: ${a.last_fired_at}`] : []),
    ...(a.blocked_until ? [`none before: ${a.blocked_until} (a failover of the pair started within the block)`] : []),
  ].join('\n')

/** The pair's automatic failover: shown, or turned on (`enable`, with `downFor`) or off. */
export async function autoFailover(
  api: GatewayApi,
  out: Output,
  secondary: string,
  change: { enable: boolean; disable: boolean; downFor: string | undefined },
) {
  let setting: AutoFailover | null | undefined
  if (change.enable || change.disable) {
    const body = { enabled: change.enable, ...(change.downFor === undefined ? {} : { down_for: change.downFor }) }
    setting = expectData(
      await api.PUT('/v1/pairs/{secondary}/auto-failover', { params: { path: { secondary } }, body: body as never }),
    )
  } else {
    setting = expectData(await api.GET('/v1/pairs/{secondary}', { params: { path: { secondary } } })).auto_failover
  }
  // Absent: never set, so off. Null: the gateway could not read it from its store.
  if (setting === null) {
    out.out(out.json ? 'null' : `automatic failover of ${secondary}: unknown (the gateway could not read its setting)`)
    return ExitCode.unavailable
  }
  const shown = setting ?? { enabled: false, down_for: '60s', last_fired_at: null, blocked_until: null }
  out.out(out.json ? JSON.stringify(shown) : renderAutoFailover(secondary, shown))
  return ExitCode.ok
}
