import type { components } from '@vault-dr/gateway/openapi'
import { cliFix } from '../cli-fixes.ts'
import { createOnce } from '../create-once.ts'
import { ExitCode } from '../exit-codes.ts'
import type { Gateway } from '../gateway-client.ts'
import { expectData, type Output, table } from '../output.ts'
import { renderCheckTable } from '../render-operation.ts'
import { startedOperation } from './operations.ts'

// The gateway fills in down_for's default (30s); the generated input type marks it required.
type FailoverBody = Omit<components['schemas']['CreateFailoverBodyInput'], 'down_for'> & { down_for?: string }
type Sent = FailoverBody & { down_for: string }
type FailoverPlan = components['schemas']['FailoverPlan']

/** `failover --dry-run`: everything the guard looks at, nothing changed; exits 1 when a failover would be refused. */
export async function planFailover(gw: Gateway, out: Output, body: FailoverBody) {
  const plan = expectData(await gw.api.POST('/v1/failovers/plan', { body: body as Sent }))
  out.out(out.json ? JSON.stringify(plan) : renderFailoverPlan(plan))
  return plan.allowed ? ExitCode.ok : ExitCode.failed
}

const reaches = (r: boolean | null) => (r === null ? 'unknown' : r ? 'yes' : 'no')
const orUnknown = (v: number | null, unit = '') => (v === null ? 'unknown' : `${v}${unit}`)

export function renderFailoverPlan(plan: FailoverPlan): string {
  const lines = [
    `failover plan: ${plan.primary} → ${plan.secondary} (dry run, nothing changed)`,
    `primary ${plan.primary}: ${plan.primary_verdict.replace('_', ' ')}`,
    'vantage points:',
  ]
  const rows = [['POINT', 'REACHES', 'SINCE', 'DETAIL']]
  for (const v of plan.vantage_points) rows.push([v.point, reaches(v.reaches), v.since, v.detail])
  lines.push(indent(table(rows)))
  const loss = plan.data_loss
  lines.push(
    `estimated data loss: ${loss.wals === null ? 'unknown' : `${loss.wals} WAL(s)`} (primary's last WAL ${orUnknown(loss.primary_last_wal)}, secondary's last remote WAL ${orUnknown(loss.secondary_last_remote_wal)}, compared ${orUnknown(loss.comparison_age_s, ' s')} ago)`,
    `  ${loss.detail}`,
  )
  const token = plan.dr_operation_token
  const tokenLine =
    token.source === 'kept' && token.kept !== null
      ? `the kept one, valid until ${token.kept.expires_at} (${token.kept.remaining_s} s left)`
      : token.source === 'ceremony'
        ? `the key-share ceremony's, made ${token.ceremony_created_at ?? '?'}`
        : 'none usable'
  lines.push(`DR operation token: ${tokenLine} (never shown)`)
  lines.push('fencing:', ...plan.fencing.map((f) => `  - ${f}`))
  lines.push(`followers (re-pointed to ${plan.secondary}): ${plan.followers.join(', ') || 'none'}`)
  lines.push('steps:', ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`))
  lines.push(renderCheckTable(plan.items, 'ITEM'))
  if (plan.allowed) lines.push('a failover would start now')
  else if (plan.refusal !== null) {
    const r = plan.refusal
    const fix = cliFix(r.code, r.fix, r.detail)
    lines.push(`a failover would be refused: ${r.code}: ${r.detail}`, ...(fix ? [`fix: ${fix}`] : []))
  } else lines.push('a failover would be refused')
  return lines.join('\n')
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')

/** A refusal is the gateway's 409 GATEWAY_ERR_FAILOVER_REFUSED: printed with its code, detail and fix, exit 3. */
export async function startFailover(gw: Gateway, out: Output, body: FailoverBody, follow: boolean) {
  const op = expectData(
    await createOnce('failover', out, (params) => gw.api.POST('/v1/failovers', { body: body as Sent, params })),
  )
  return startedOperation(gw, out, op, follow)
}

export async function startRejoin(gw: Gateway, out: Output, cluster: string, follow: boolean) {
  const op = expectData(
    await createOnce('rejoin', out, (params) => gw.api.POST('/v1/rejoins', { body: { cluster }, params })),
  )
  return startedOperation(gw, out, op, follow)
}
