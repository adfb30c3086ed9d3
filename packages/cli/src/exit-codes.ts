/** What `vault-dr` exits with, for scripts. */
export const ExitCode = {
  ok: 0,
  /** The operation ran and did not succeed: a failed or cancelled handshake, a failed preflight. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The gateway refused the request (4xx problem+json: validation, auth, unknown name, conflict). */
  refused: 3,
  /** The gateway could not be reached, or failed (5xx). */
  unavailable: 4,
} as const

export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number) {
    super(message)
    this.exitCode = exitCode
  }
}
