import { cliFix } from './cli-fixes.ts'
import { CliError, type ErrorReport, ExitCode } from './exit-codes.ts'
import { inCliTerms } from './request-fields.ts'

export interface Output {
  json: boolean
  out(text: string): void
  err(text: string): void
  /** An error: with --json, its report as one JSON document on stdout; else readable on stderr. */
  error(error: CliError): void
}

/**
 * Said when Ctrl-C stops the CLI while an operation goes on in the gateway: with --json, one JSON line on stdout
 * (`{"event":"interrupted",...}`, as the events before it), else the text on stderr.
 */
export function sayInterrupted(out: Output, fields: Record<string, string>, text: string): void {
  if (out.json) out.out(JSON.stringify({ event: 'interrupted', ...fields, detail: text.trim() }))
  else out.err(text)
}

export function createOutput(json: boolean): Output {
  const out = (text: string) => process.stdout.write(`${text}\n`)
  const err = (text: string) => process.stderr.write(`${text}\n`)
  return {
    json,
    out,
    err,
    error: (e) => (json ? out(JSON.stringify(e.report)) : err(renderError(e))),
  }
}

function renderError({ report, help }: CliError): string {
  const lines = [`error: ${report.title === undefined ? '' : `${report.title}: `}${report.detail}`]
  for (const field of report.errors ?? []) {
    // The detail names the first few fields with their messages already: only the others get a line of their own.
    const line = `${field.path}: ${field.message}`
    if (!report.detail.includes(line)) lines.push(`  ${line}`)
  }
  if (report.code !== 'CLI_ERR_USAGE') lines.push(`  code: ${report.code}`)
  // A usage error's help says more than its fix.
  if (report.fix && help === undefined) lines.push(`  fix:  ${report.fix}`)
  if (help !== undefined) lines.push('', help)
  return lines.join('\n')
}

/** A problem+json as the gateway sends it. */
interface Problem {
  title?: string
  status?: number
  detail?: string
  code?: string
  fix?: string
  instance?: string
  errors?: ErrorReport['errors']
  upstream?: ErrorReport['upstream']
}

interface Answer<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Unwraps an openapi-fetch answer, turning a problem+json into a CliError with the fix in the CLI's words. */
export function expectData<T>(answer: Answer<T>): T {
  if (answer.data !== undefined && answer.response.ok) return answer.data
  throw problemError(answer)
}

/** For answers without a body (204): throws the problem of one that is not ok. */
export function expectOk(answer: Answer<unknown>): void {
  if (!answer.response.ok) throw problemError(answer)
}

function problemError(answer: Answer<unknown>): CliError {
  return problemOf(answer.response.status, answer.error, answer.response.headers.get('retry-after'))
}

/** Retry-After in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * The CliError of a gateway answer that is not ok: its status and problem+json body (undefined if it had none), and
 * its Retry-After header.
 */
const VALIDATION = 'CORE_ERR_VALIDATION'

export function problemOf(status: number, problem: unknown, retryAfter?: string | null): CliError {
  const p = (problem ?? {}) as Problem
  const code = p.code ?? `HTTP_${status}`
  // A field the gateway names (found invalid, or naming a cluster it does not know) is named as the operator set it:
  // the option, not the request's field.
  const named = inCliTerms
  const detail = named(p.detail ?? `the gateway answered HTTP ${status}`)
  const report: ErrorReport = {
    code,
    detail,
    fix: cliFix(code, p.fix, `${p.upstream?.code ?? ''} ${detail}`),
    ...(p.title === undefined ? {} : { title: p.title }),
    status,
    ...(p.instance === undefined ? {} : { instance: p.instance }),
    ...(p.errors === undefined
      ? {}
      : { errors: p.errors.map((e) => ({ path: named(e.path), message: named(e.message) })) }),
    ...(p.upstream === undefined ? {} : { upstream: p.upstream }),
  }
  // An option value the gateway finds invalid is a usage error, as one the CLI finds invalid itself (a range only the
  // gateway knows, such as --hold's).
  const exit = status >= 500 ? ExitCode.unavailable : code === VALIDATION ? ExitCode.usage : ExitCode.refused
  return new CliError(report, exit, undefined, retryAfterMs(retryAfter))
}

/** Left-aligned columns, the width of their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
