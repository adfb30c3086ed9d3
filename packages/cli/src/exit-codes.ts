/** What `vault-dr` exits with, for scripts. */
export const ExitCode = {
  ok: 0,
  /** The operation ran and did not succeed: a failed or cancelled handshake, a failed preflight, an unhealthy cluster. */
  failed: 1,
  /** The command line or the CLI's environment is wrong (an option value the gateway finds invalid included). */
  usage: 2,
  /** The gateway refused the request (4xx problem+json: auth, unknown name, conflict). */
  refused: 3,
  /** The gateway could not be reached, or failed (5xx). */
  unavailable: 4,
} as const

/** An error as the CLI reports it: with --json, this object on stdout; else the same fields, readable, on stderr. */
export interface ErrorReport {
  code: string
  detail: string
  fix: string | null
  /** The gateway's problem title, when the gateway answered. */
  title?: string
  /** The gateway's HTTP status. */
  status?: number
  /** The gateway's request id, to search its log for. */
  instance?: string
  /** Each invalid field, for validation errors. */
  errors?: Array<{ path: string; message: string }>
  /** What an agent or Vault answered the gateway. */
  upstream?: { service: string; status?: number; code?: string; errors?: string[] }
}

export class CliError extends Error {
  readonly exitCode: number
  readonly report: ErrorReport
  /** Help to show after the error, in human output: the usage of the command that was misused. */
  readonly help: string | undefined
  /** How long the gateway asked to wait before asking again (its Retry-After, with a 429 or a 503). */
  readonly retryAfterMs: number | undefined

  constructor(report: ErrorReport, exitCode: number, help?: string, retryAfterMs?: number) {
    super(report.detail)
    this.report = report
    this.exitCode = exitCode
    this.help = help
    this.retryAfterMs = retryAfterMs
  }
}
