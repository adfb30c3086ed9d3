import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * A request's logger that becomes the pino child Fastify would have made (bound to the request id) only when it
 * writes its first line. Making a child runs pino's redaction over its bindings, several microseconds with our
 * redaction paths; a status poll that succeeds logs nothing and should not pay that. Lines, levels and redaction
 * are the child's own.
 */
export class RequestLogger implements FastifyBaseLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  #child: Logger | undefined

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level
  }

  set level(level: string) {
    this.#real().level = level
  }

  isLevelEnabled(level: string): boolean {
    if (this.#child !== undefined) return this.#child.isLevelEnabled(level)
    if (this.#options.level === undefined) return this.#parent.isLevelEnabled(level)
    const values = this.#parent.levels.values
    return (values[level] ?? Number.POSITIVE_INFINITY) >= (values[this.#options.level] ?? Number.POSITIVE_INFINITY)
  }

  fatal(...args: unknown[]) {
    this.#log('fatal', args)
  }
  error(...args: unknown[]) {
    this.#log('error', args)
  }
  warn(...args: unknown[]) {
    this.#log('warn', args)
  }
  info(...args: unknown[]) {
    this.#log('info', args)
  }
  debug(...args: unknown[]) {
    this.#log('debug', args)
  }
  trace(...args: unknown[]) {
    this.#log('trace', args)
  }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }

  #log(level: Level, args: unknown[]) {
    if (this.isLevelEnabled(level)) (this.#real()[level] as (...a: unknown[]) => void)(...args)
  }
}

/** Fastify's `childLoggerFactory`: each request's logger is a {@link RequestLogger}. */
export const requestLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new RequestLogger(logger as Logger, bindings, options)
