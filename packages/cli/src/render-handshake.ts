import type { components } from '@vault-dr/gateway/openapi'
import { checkFix, cliFix } from './cli-fixes.ts'
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

/** The error of a handshake or a step, with its fix in the CLI's words. */
export function renderError(error: NonNullable<Handshake['error']>, indent = '  ', saidAtStep?: string): string[] {
  const fix = cliFix(error.code, error.fix, error.detail)
  const said = saidAtStep === undefined ? `: ${error.detail}` : ` (the ${saidAtStep} step's, above)`
  return [`${indent}error ${error.code}${said}`, ...(fix ? [`${indent}fix: ${fix}`] : [])]
}

type StepOf = components['schemas']['OperationStep']

/** The failed step whose error the whole one is (the same code and detail), so that its detail is said once. */
export function stepOfError(steps: readonly StepOf[], error: Handshake['error'] | undefined): string | undefined {
  if (!error) return undefined
  return steps.find((s) => s.error?.code === error.code && s.error.detail === error.detail)?.name
}

export function renderHandshake(h: Handshake): string {
  const lines = [`handshake ${h.id}: ${h.primary} → ${h.secondary} (secondary id ${h.secondary_id}): ${h.state}`]
  const errorStep = stepOfError(h.steps, h.error)
  for (const step of h.steps) lines.push(`  ${renderStep(step, 19, step.name === errorStep)}`)
  if (h.error) lines.push(...renderError(h.error))
  const notable = notableChecks(h.checks, ['fail', 'warn'])
  if (notable.length > 0) lines.push(renderChecks(notable))
  return lines.join('\n')
}

/** The checks of `statuses`, each once: a check run again after enable_primary shows once if it says the same. */
export function notableChecks<C extends { name: string; status: string; code: string; detail: string }>(
  checks: readonly C[],
  statuses: readonly string[],
): C[] {
  const seen = new Set<string>()
  return checks.filter((c) => {
    const key = `${c.name}|${c.status}|${c.code}|${c.detail}`
    if (seen.has(key) || !statuses.includes(c.status)) return false
    return seen.add(key)
  })
}

/**
 * The step a handshake or an operation is at, as a list shows it: the one running or failed, else the last one
 * started (where a cancelled one stopped, or the last of a finished one), else the first (nothing started yet).
 */
export function currentStep<S extends { status: string; started_at?: string | null }>(
  steps: readonly S[],
): S | undefined {
  return (
    steps.find((s) => s.status === 'running' || s.status === 'failed') ??
    steps.findLast((s) => s.started_at != null) ??
    steps[0]
  )
}

/**
 * One step on a line; `width` aligns the names (the longest name of the operation's plan). `codeOnly`: its error is
 * the whole one's, printed in full below it.
 */
export function renderStep(step: StepOf, width = 19, codeOnly = false): string {
  const seconds =
    step.started_at && step.finished_at
      ? `${((Date.parse(step.finished_at) - Date.parse(step.started_at)) / 1000).toFixed(1)}s`
      : ''
  const detail = step.error ? `${step.error.code}${codeOnly ? '' : `: ${step.error.detail}`}` : (step.detail ?? '')
  return `${STEP_MARK[step.status] ?? '?'} ${step.name.padEnd(width)} ${seconds.padStart(6)}  ${detail}`.trimEnd()
}

/** The checks as a table, then the fix of each failure and each warning (a warning does not stop a handshake). */
export function renderChecks(checks: Check[]): string {
  const rows = [['', 'CHECK', 'CODE', 'DETAIL']]
  for (const c of checks) rows.push([CHECK_MARK[c.status] ?? '?', c.name, c.code, c.detail])
  const fixes = checks.flatMap((c) => {
    const fix = c.status === 'fail' || c.status === 'warn' ? checkFix(c) : null
    return fix ? [`fix (${c.name}${c.status === 'warn' ? ', warning' : ''}): ${fix}`] : []
  })
  return [table(rows), ...fixes].join('\n')
}
