import type { components } from '@vault-dr/gateway/openapi'
import { createOnce } from '../create-once.ts'
import { ExitCode } from '../exit-codes.ts'
import type { Gateway } from '../gateway-client.ts'
import { expectData, type Output } from '../output.ts'
import { renderCheckTable } from '../render-operation.ts'
import { startedOperation } from './operations.ts'

// The gateway fills in the defaults (catch_up_timeout, check_interval); the generated input types mark them required.
type SwitchoverBody = Omit<components['schemas']['CreateSwitchoverRequestInput'], 'catch_up_timeout'> & {
  catch_up_timeout?: string
}
type DrillBody = SwitchoverBody & { hold: string; check_interval?: string }
type Sent<T> = T & { catch_up_timeout: string }
type SwitchoverPlan = components['schemas']['SwitchoverPlan']
type DrillPlan = components['schemas']['DrillPlan']

/** `switchover --dry-run`: the plan and its checks, nothing changed; exits 1 when a check fails. */
export async function planSwitchover(gw: Gateway, out: Output, body: SwitchoverBody) {
  const plan = expectData(await gw.api.POST('/v1/switchovers/plan', { body: body as Sent<SwitchoverBody> }))
  out.out(out.json ? JSON.stringify(plan) : renderSwitchoverPlan(plan))
  return plan.ok ? ExitCode.ok : ExitCode.failed
}

export function renderSwitchoverPlan(plan: SwitchoverPlan): string {
  return renderRoleChangePlan('switchover', `${plan.from} → ${plan.to}`, `${plan.to} afterwards`, plan)
}

/** `drill --dry-run`: both legs, the hold and the checks, nothing changed; exits 1 when a check fails. */
export async function planDrill(gw: Gateway, out: Output, body: DrillBody) {
  const sent = body as Sent<DrillBody> & { check_interval: string }
  const plan = expectData(await gw.api.POST('/v1/drills/plan', { body: sent }))
  out.out(out.json ? JSON.stringify(plan) : renderDrillPlan(plan))
  return plan.ok ? ExitCode.ok : ExitCode.failed
}

export function renderDrillPlan(plan: DrillPlan): string {
  const route = `${plan.from} → ${plan.to} → ${plan.from}, holding ${plan.hold} (a write check every ${plan.check_interval})`
  return renderRoleChangePlan('drill', route, `${plan.to} during the hold`, plan)
}

function renderRoleChangePlan(kind: string, route: string, whose: string, plan: SwitchoverPlan): string {
  const lines = [`${kind} plan: ${route} (dry run, nothing changed)`]
  lines.push(
    `followers of ${whose}: ${plan.followers.map((f) => `${f.cluster} (id ${f.secondary_id})`).join(', ') || 'none'}`,
  )
  lines.push('steps:', ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`))
  lines.push('what happens:', ...plan.what_happens.map((w) => `  - ${w}`))
  lines.push(renderCheckTable(plan.checks))
  lines.push(plan.ok ? `the ${kind} would start` : `the ${kind} would be refused: a check failed`)
  return lines.join('\n')
}

export async function startSwitchover(gw: Gateway, out: Output, body: SwitchoverBody, follow: boolean) {
  const op = expectData(
    await createOnce('switchover', out, (params) =>
      gw.api.POST('/v1/switchovers', { body: body as Sent<SwitchoverBody>, params }),
    ),
  )
  return startedOperation(gw, out, op, follow)
}

export async function startDrill(gw: Gateway, out: Output, body: DrillBody, follow: boolean) {
  const sent = body as Sent<DrillBody> & { check_interval: string }
  const op = expectData(await createOnce('drill', out, (params) => gw.api.POST('/v1/drills', { body: sent, params })))
  return startedOperation(gw, out, op, follow)
}
