import type { components } from '@vault-dr/gateway/openapi'
import { table } from './output.ts'

type Handshake = components['schemas']['Handshake']
type Check = components['schemas']['PreflightCheck']

const STEP_MARK: Record<string, string> = {
  pending: '·',
  running: '…',
  succeeded: '✔',
  failed: '✘',
  skipped: '-',
}
const CHECK_MARK: Record<string, string> = { pass: '✔', warn: '!', fail: '✘', skipped: '-' }

export function renderHandshake(h: Handshake): string {
  const lines = [`handshake ${h.id}: ${h.primary} → ${h.secondary} (secondary id ${h.secondary_id}): ${h.state}`]
  for (const step of h.steps) lines.push(`  ${renderStep(step)}`)
  if (h.error) {
    lines.push(`  error ${h.error.code}: ${h.error.detail}`)
    if (h.error.fix) lines.push(`  fix: ${h.error.fix}`)
  }
  return lines.join('\n')
}

export function renderStep(step: Handshake['steps'][number]): string {
  const seconds =
    step.started_at && step.finished_at
      ? `${((Date.parse(step.finished_at) - Date.parse(step.started_at)) / 1000).toFixed(1)}s`
      : ''
  const detail = step.error ? `${step.error.code}: ${step.error.detail}` : (step.detail ?? '')
  return `${STEP_MARK[step.status] ?? '?'} ${step.name.padEnd(19)} ${seconds.padStart(6)}  ${detail}`.trimEnd()
}

export function renderChecks(checks: Check[]): string {
  const rows = [['', 'CHECK', 'CODE', 'DETAIL']]
  for (const c of checks) rows.push([CHECK_MARK[c.status] ?? '?', c.name, c.code, c.detail])
  const failed = checks.filter((c) => c.status === 'fail' && c.fix)
  return [table(rows), ...failed.map((c) => `fix (${c.name}): ${c.fix}`)].join('\n')
}
