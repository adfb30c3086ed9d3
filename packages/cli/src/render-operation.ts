import type { components } from '@vault-dr/gateway/openapi'
import { checkFix } from './cli-fixes.ts'
import { table } from './output.ts'
import { currentStep, renderError, renderStep, stepOfError } from './render-handshake.ts'

export type Operation = components['schemas']['Operation']
type Check = { name: string; status: string; code: string; detail: string; fix: string | null }
/** A drill's result.report (the gateway's DrillReport; the operation's result is an open object in the API). */
export interface DrillReport {
  legs: Array<{ from: string; to: string; rto_ms: number | null; rpo_wals: number | null; undone?: boolean }>
  hold: {
    started_at: string
    until: string
    checks: number
    refused: number
    unanswered?: number
    ended_at: string | null
    cut_short: boolean
  } | null
  warnings: string[]
  checks_warned: Check[]
  started_at: string | null
  ended_at: string | null
  /** Absent from gateways before it. */
  verdict?: 'passed' | 'failed' | 'unfinished'
  findings?: string[]
}

/** A finished drill whose report found something wrong (a WAL lost, a write refused during the hold). */
export const drillFoundFault = (op: Operation) =>
  op.kind === 'drill' && (op.result?.report as DrillReport | undefined)?.verdict === 'failed'

const CHECK_MARK: Record<string, string> = { pass: '✔', warn: '!', fail: '✘', skipped: '-' }
const text = (value: unknown) => (typeof value === 'string' ? value : '?')

/** The two clusters an operation goes between, in its own order: primary and secondary, rejoining and followed, from and to. */
function endsOf(op: Operation): [unknown, unknown] {
  const s = op.subject
  if (op.kind === 'handshake') return [s.primary, s.secondary]
  if (op.kind === 'rejoin') return [s.cluster, s.primary]
  return [s.from, s.to]
}

/** Who the operation is about, in a few words: "dc1 → dc2", "dc1 rejoins dc2". */
export function subjectLine(op: Operation): string {
  const [first, second] = endsOf(op).map(text)
  if (op.kind === 'rejoin') return `${first} rejoins ${second}`
  const hold = op.kind === 'drill' ? ` and back after ${text(op.subject.hold)}` : ''
  return `${first} → ${second}${hold}`
}

/** The clusters an operation holds, the way it goes first ("dc1 → dc2"), then the others (followers re-pointed). */
function clustersOf(op: Operation): string {
  const [first, second] = endsOf(op)
  if (typeof first !== 'string' || typeof second !== 'string') return op.clusters.join(',')
  const others = op.clusters.filter((c) => c !== first && c !== second)
  const way = op.kind === 'rejoin' ? `${first} rejoins ${second}` : `${first} → ${second}`
  return others.length === 0 ? way : `${way}, ${others.join(',')}`
}

export function renderOperation(op: Operation): string {
  const lines = [
    `${op.kind} ${op.id}: ${subjectLine(op)}: ${op.state}${op.cancel_requested ? ' (cancel requested)' : ''}`,
  ]
  const errorStep = stepOfError(op.steps, op.error)
  for (const step of op.steps) lines.push(`  ${renderStep(step, stepWidth(op), step.name === errorStep)}`)
  if (op.error) lines.push(...renderError(op.error))
  lines.push(...resultLines(op))
  return lines.join('\n')
}

/** The width that aligns an operation's step names. */
export const stepWidth = (op: Operation) => Math.max(19, ...op.steps.map((s) => s.name.length))

/** The outcome line printed when a followed operation finishes, with its error and result. */
export function renderOutcome(op: Operation): string {
  const lines = [`${op.kind} ${op.id} ${op.state}`]
  // Followed, the failed step's line above said the error in full already.
  if (op.error) lines.push(...renderError(op.error, '  ', stepOfError(op.steps, op.error)))
  lines.push(...resultLines(op))
  return lines.join('\n')
}

/** What a role change measured (writes refused, WALs lost), its warnings, and a drill's report. */
export function resultLines(op: Operation): string[] {
  const r = op.result
  if (r === null) return []
  const report = r.report as DrillReport | undefined
  // A drill's report gives both legs; its top-level figures are the first leg's.
  if (report !== undefined) return renderDrillReport(report, op.state === 'running' || op.state === 'pending')
  const lines: string[] = []
  if (typeof r.write_unavailable_ms === 'number') lines.push(`  writes refused for ${r.write_unavailable_ms} ms`)
  if (typeof r.wals_lost === 'number') lines.push(`  WALs lost: ${r.wals_lost}`)
  for (const w of (r.warnings as string[] | undefined) ?? []) lines.push(`  warning: ${w}`)
  return lines
}

/** A drill's report; `running`: the drill goes on (an unfinished report of an ended drill says it stopped early). */
export function renderDrillReport(report: DrillReport, running = false): string[] {
  const stopped = !running && report.verdict === 'unfinished'
  const verdict =
    report.verdict === undefined
      ? ''
      : stopped
        ? ': unfinished (the drill ended before its way back)'
        : `: ${report.verdict}`
  const ended = report.ended_at ?? (stopped ? 'its end' : 'now')
  const lines = [`  drill report (${report.started_at ?? 'before any demote'} to ${ended})${verdict}`]
  for (const f of report.findings ?? []) lines.push(`    found: ${f}`)
  for (const [i, leg] of report.legs.entries()) {
    const rto = leg.rto_ms === null ? 'unknown' : `${leg.rto_ms} ms`
    const rpo = leg.rpo_wals === null ? 'unknown' : String(leg.rpo_wals)
    const undone = leg.undone === true ? `, undone (${leg.from} promoted back)` : ''
    lines.push(`    leg ${i + 1} ${leg.from} → ${leg.to}: writes refused ${rto} (RTO), WALs lost ${rpo} (RPO)${undone}`)
  }
  if (report.hold !== null) {
    const h = report.hold
    const short = h.cut_short ? ', cut short by a cancellation' : ''
    const unanswered = h.unanswered ? `, ${h.unanswered} unanswered` : ''
    lines.push(
      `    hold ${h.started_at} to ${h.ended_at ?? h.until}: ${h.checks} write check${h.checks === 1 ? '' : 's'}, ${h.refused} refused${unanswered}${short}`,
    )
  }
  for (const c of report.checks_warned) lines.push(`    check warned: ${c.name} ${c.code}: ${c.detail}`)
  for (const w of report.warnings) lines.push(`    warning: ${w}`)
  return lines
}

/** Checks or plan items as a table, then the fix of each that warned or failed. */
export function renderCheckTable(checks: readonly Check[], first = 'CHECK'): string {
  const rows = [['', first, 'CODE', 'DETAIL']]
  for (const c of checks) rows.push([CHECK_MARK[c.status] ?? '?', c.name, c.code, c.detail])
  const fixes = checks.flatMap((c) => {
    if (c.status === 'pass') return []
    const fix = checkFix(c)
    return fix ? [`fix (${c.name}${c.status === 'warn' ? ', warning' : ''}): ${fix}`] : []
  })
  return [table(rows), ...fixes].join('\n')
}

export function renderOperationList(ops: readonly Operation[]): string {
  const rows = [['ID', 'KIND', 'STATE', 'CLUSTERS', 'STEP', 'CREATED']]
  for (const op of ops) {
    // A drill that found a fault succeeded as an operation: its list row says so, as its exit code does.
    const state = op.state === 'succeeded' && drillFoundFault(op) ? `${op.state} (verdict failed)` : op.state
    rows.push([op.id, op.kind, state, clustersOf(op), currentStep(op.steps)?.name ?? '-', op.created_at])
  }
  return table(rows)
}
