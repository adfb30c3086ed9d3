/** One coded error: code for programs, title and detail for people, fix for operators. */
export class CodedError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly title: string
  readonly fix: string | undefined
  readonly upstream: UpstreamInfo | undefined

  constructor(
    def: ErrorDefinition,
    detail: string,
    extra: { cause?: unknown; fix?: string; upstream?: UpstreamInfo } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = 'CodedError'
    this.code = def.code
    this.statusCode = def.status
    this.title = def.title
    this.fix = extra.fix ?? def.fix
    this.upstream = extra.upstream
  }
}

/**
 * The same coded error with `scrub` applied to its message and to what upstream said (e.g. to take a secret the
 * request carried out of a Vault error text); the raw cause is dropped, as it may quote the same text.
 */
export function scrubCodedError(err: CodedError, scrub: (text: string) => string): CodedError {
  const message = scrub(err.message)
  const errors = err.upstream?.errors?.map(scrub)
  const upstream = err.upstream === undefined ? undefined : { ...err.upstream, ...(errors ? { errors } : {}) }
  const def = { code: err.code, status: err.statusCode, title: err.title }
  return new (err.constructor as typeof CodedError)(def, message, {
    ...(err.fix === undefined ? {} : { fix: err.fix }),
    ...(upstream === undefined ? {} : { upstream }),
  })
}

/** What a failed upstream call (Vault, an agent) answered, kept free of secrets. */
export interface UpstreamInfo {
  service: string
  status?: number
  errors?: string[]
  code?: string
}

export interface ErrorDefinition {
  code: string
  status: number
  title: string
  fix?: string
}

export type ErrorFactory = ((detail: string, extra?: ConstructorParameters<typeof CodedError>[2]) => CodedError) & {
  code: string
  status: number
}

/** Declares one entry of a package's error catalogue. */
export function defineError(def: ErrorDefinition): ErrorFactory {
  const factory = (detail: string, extra?: ConstructorParameters<typeof CodedError>[2]) =>
    new CodedError(def, detail, extra)
  return Object.assign(factory, { code: def.code, status: def.status })
}

export function isCodedError(err: unknown, code?: string): err is CodedError {
  return err instanceof CodedError && (code === undefined || err.code === code)
}
