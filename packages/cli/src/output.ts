import { CliError, ExitCode } from './exit-codes.ts'

export interface Output {
  json: boolean
  out(text: string): void
  err(text: string): void
}

export function createOutput(json: boolean): Output {
  return {
    json,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }
}

interface Problem {
  title?: string
  status?: number
  detail?: string
  code?: string
  fix?: string
}

/** Unwraps an openapi-fetch answer, turning a problem+json into a CliError with the gateway's fix. */
export function expectData<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined && answer.response.ok) return answer.data
  const problem = (answer.error ?? {}) as Problem
  const lines = [`error: ${problem.title ?? `HTTP ${answer.response.status}`}: ${problem.detail ?? ''}`.trim()]
  if (problem.code) lines.push(`  code: ${problem.code}`)
  if (problem.fix) lines.push(`  fix:  ${problem.fix}`)
  throw new CliError(lines.join('\n'), answer.response.status >= 500 ? ExitCode.unavailable : ExitCode.refused)
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
