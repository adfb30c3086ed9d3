import { setTimeout as sleep } from 'node:timers/promises'
import type { components } from '@vault-dr/gateway/openapi'
import { ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, type Output, table } from '../output.ts'
import { renderChecks, renderHandshake, renderStep } from '../render-handshake.ts'

type Handshake = components['schemas']['Handshake']
type CreateHandshake = components['schemas']['CreateHandshakeRequestInput']
type PreflightRequest = components['schemas']['PreflightRequestInput']
const FINISHED = new Set(['succeeded', 'failed', 'cancelled'])

export const handshakeExitCode = (h: Handshake) => (h.state === 'succeeded' ? ExitCode.ok : ExitCode.failed)

export async function runPreflight(api: GatewayApi, out: Output, body: PreflightRequest) {
  const result = expectData(await api.POST('/v1/preflight', { body }))
  out.out(out.json ? JSON.stringify(result) : renderChecks(result.checks))
  if (!out.json) out.out(result.ok ? 'preflight passed' : 'preflight failed')
  return result.ok ? ExitCode.ok : ExitCode.failed
}

export async function startHandshake(api: GatewayApi, out: Output, body: CreateHandshake, follow: boolean) {
  const created = expectData(await api.POST('/v1/handshakes', { body }))
  if (!follow) {
    out.out(out.json ? JSON.stringify(created) : `handshake ${created.id} ${created.state}`)
    return ExitCode.ok
  }
  const finished = await followHandshake(api, out, created.id)
  return handshakeExitCode(finished)
}

/** Prints each step as it changes until the handshake finishes; with --json, one line per change. */
export async function followHandshake(api: GatewayApi, out: Output, id: string, intervalMs = 150): Promise<Handshake> {
  const printed = new Map<string, string>()
  if (!out.json) out.out(`following handshake ${id}`)
  for (;;) {
    const h = expectData(await api.GET('/v1/handshakes/{id}', { params: { path: { id } } }))
    for (const step of h.steps) {
      const key = `${step.status}|${step.detail ?? ''}`
      if (step.status === 'pending' || printed.get(step.name) === key) continue
      printed.set(step.name, key)
      out.out(out.json ? JSON.stringify({ event: 'step', handshake: id, step }) : `  ${renderStep(step)}`)
    }
    if (FINISHED.has(h.state)) {
      out.out(out.json ? JSON.stringify({ event: 'finished', handshake: h }) : renderOutcome(h))
      return h
    }
    await sleep(intervalMs)
  }
}

function renderOutcome(h: Handshake): string {
  const lines = [`handshake ${h.id} ${h.state}`]
  if (h.error) lines.push(`  ${h.error.code}: ${h.error.detail}`, ...(h.error.fix ? [`  fix: ${h.error.fix}`] : []))
  const failedChecks = h.checks.filter((c) => c.status === 'fail')
  if (failedChecks.length > 0) lines.push(renderChecks(failedChecks))
  return lines.join('\n')
}

export async function showHandshake(api: GatewayApi, out: Output, id: string) {
  const h = expectData(await api.GET('/v1/handshakes/{id}', { params: { path: { id } } }))
  out.out(out.json ? JSON.stringify(h) : renderHandshake(h))
  return ExitCode.ok
}

export async function listHandshakes(api: GatewayApi, out: Output, state: string | undefined) {
  const query = state === undefined ? {} : { state: state as Handshake['state'] }
  const { handshakes } = expectData(await api.GET('/v1/handshakes', { params: { query } }))
  if (out.json) {
    out.out(JSON.stringify(handshakes))
    return ExitCode.ok
  }
  const rows = [['ID', 'STATE', 'PRIMARY', 'SECONDARY', 'STEP', 'CREATED']]
  for (const h of handshakes) {
    const current = h.steps.find((s) => s.status === 'running' || s.status === 'failed') ?? h.steps.at(-1)
    rows.push([h.id, h.state, h.primary, h.secondary, current?.name ?? '-', h.created_at])
  }
  out.out(table(rows))
  return ExitCode.ok
}

export async function cancelHandshake(api: GatewayApi, out: Output, id: string) {
  const h = expectData(await api.POST('/v1/handshakes/{id}/cancel', { params: { path: { id } } }))
  out.out(out.json ? JSON.stringify(h) : `handshake ${h.id}: cancel requested (state ${h.state})`)
  return ExitCode.ok
}
