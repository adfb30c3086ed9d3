import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { CoreErrors } from '../core-errors.ts'
import { type CodedError, isCodedError } from '../errors.ts'
import { PROBLEM_CONTENT_TYPE, type ProblemDetails, problemType } from '../problem.ts'
import { truncate } from '../util/truncate.ts'

/** Turns any error into one coded error, so the wire format is decided in one place. */
export function toCodedError(err: unknown): CodedError {
  if (isCodedError(err)) return err
  const error = err as FastifyError & { validationContext?: string }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const { text, named } = issuesInDetail(error)
    const others = invalidFieldCount(error) - named
    const more = others > 0 ? `; and ${others} more` : ''
    return CoreErrors.validation(`Invalid ${text}${more}`, { cause: error })
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return CoreErrors.unsupportedMediaType(error.message, { cause: error })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return CoreErrors.bodyTooLarge(error.message, { cause: error })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return CoreErrors.malformedBody(error.message, { cause: error })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Fastify's parser says the same of well-formed JSON with a key that could reach an object's prototype.
      return CoreErrors.malformedBody(
        `${error.message}, or it has a "__proto__" or "constructor.prototype" key (refused: no field has that name)`,
        { cause: error },
      )
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/.test(error.message))) {
    return CoreErrors.malformedBody(`Body is not valid JSON: ${error.message}`, { cause: error })
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return CoreErrors.badRequest(error.message, { cause: error })
  }
  return CoreErrors.internal('The service failed to handle the request.', { cause: err })
}

interface ValidationFailure {
  validation?: Array<{ instancePath: string; message?: string; keyword?: string; params?: { keys?: unknown } }>
  validationContext?: string
}

// What a caller sent comes back in answers and log lines (an unknown field's name): these bound how much of it.
/** Longest field name (or path) echoed. */
const MAX_NAME = 100
/** Longest message about one field. */
const MAX_MESSAGE = 500
/** Most fields named in `detail`, and listed in `errors`. */
const MAX_FIELDS_IN_DETAIL = 5
const MAX_FIELD_ERRORS = 20
/** Longest `detail`, and message of a log line about an error. */
const MAX_DETAIL = 2_000

/**
 * Each invalid field of a failed validation as `context/path` and a message, the first MAX_FIELD_ERRORS of them. An
 * unknown field (a strict body) is named by its own path, not its parent's: `body/tll`, "Unrecognized key: \"tll\"".
 */
function fieldErrors(failure: ValidationFailure): Array<{ path: string; message: string }> {
  const context = failure.validationContext ?? 'request'
  return (failure.validation ?? [])
    .flatMap((v) => {
      const keys = v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys) ? v.params.keys : []
      const path = truncate(`${context}${v.instancePath}`, MAX_NAME)
      if (keys.length === 0) return [{ path, message: truncate(v.message ?? '', MAX_MESSAGE) }]
      const parent = path.replace(/\/$/, '')
      return keys.slice(0, MAX_FIELD_ERRORS).map((key) => {
        const name = truncate(String(key), MAX_NAME)
        return { path: `${parent}/${name}`, message: `Unrecognized key: "${name}"` }
      })
    })
    .slice(0, MAX_FIELD_ERRORS)
}

/**
 * The first MAX_FIELDS_IN_DETAIL fields of a failed validation, each with what is wrong with it: the fields of one
 * issue (the unknown keys of an object) share its message, `body/a, body/b: Unrecognized keys: "a", "b"`; issues are
 * separated by `; `.
 */
function issuesInDetail(failure: ValidationFailure): { text: string; named: number } {
  const context = failure.validationContext ?? 'request'
  const parts: string[] = []
  const seen = new Set<string>()
  for (const v of failure.validation ?? []) {
    if (seen.size >= MAX_FIELDS_IN_DETAIL) break
    const path = truncate(`${context}${v.instancePath}`, MAX_NAME)
    const keys = v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys) ? v.params.keys : []
    const paths = (
      keys.length === 0 ? [path] : keys.map((k) => `${path.replace(/\/$/, '')}/${truncate(String(k), MAX_NAME)}`)
    )
      .filter((p) => !seen.has(p))
      .slice(0, MAX_FIELDS_IN_DETAIL - seen.size)
    if (paths.length === 0) continue
    for (const p of paths) seen.add(p)
    parts.push(`${paths.join(', ')}: ${truncate(v.message ?? '', MAX_MESSAGE)}`)
  }
  return { text: parts.join('; '), named: seen.size }
}

/** How many fields a failed validation found invalid, each unknown key counted. */
function invalidFieldCount(failure: ValidationFailure): number {
  const paths = new Set<string>()
  let unknownKeys = 0
  for (const v of failure.validation ?? []) {
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys)) unknownKeys += v.params.keys.length
    else paths.add(v.instancePath)
  }
  return paths.size + unknownKeys
}

/** The cause of an error about given fields of a request, which its problem lists in `errors`. */
class InvalidFields {
  readonly errors: Array<{ path: string; message: string }>
  constructor(errors: Array<{ path: string; message: string }>) {
    this.errors = errors
      .slice(0, MAX_FIELD_ERRORS)
      .map((e) => ({ path: truncate(e.path, MAX_NAME), message: truncate(e.message, MAX_MESSAGE) }))
  }
}

/**
 * Names the fields an error is about, as `errors` of its problem, for a check a schema cannot make.
 *
 * @example throw GatewayErrors.unknownCluster(detail, { cause: invalidFields({ path: 'body/primary', message }) })
 */
export function invalidFields(...errors: Array<{ path: string; message: string }>): InvalidFields {
  return new InvalidFields(errors)
}

export function toProblem(err: CodedError, requestId: string): ProblemDetails {
  const validationCause = err.cause as ValidationFailure | undefined
  return {
    type: problemType(err.code),
    title: err.title,
    status: err.statusCode,
    detail: truncate(err.message, MAX_DETAIL),
    code: err.code,
    instance: requestId,
    ...(err.fix === undefined ? {} : { fix: err.fix }),
    ...(err.cause instanceof InvalidFields
      ? { errors: err.cause.errors }
      : err.code === CoreErrors.validation.code && validationCause?.validation
        ? { errors: fieldErrors(validationCause) }
        : {}),
    ...(err.upstream === undefined ? {} : { upstream: err.upstream }),
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: CodedError) {
  return reply
    .status(err.statusCode)
    .header('x-request-id', request.id)
    .type(PROBLEM_CONTENT_TYPE)
    .serializer(JSON.stringify)
    .send(toProblem(err, request.id))
}

async function errorHandlerPlugin(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const coded = toCodedError(err)
    if (isResponseSerializationError(err)) {
      request.log.error({ err }, 'response did not match its schema (a bug)')
    } else if (coded.statusCode >= 500) {
      request.log.error({ err: coded, code: coded.code, cause: describeCause(coded.cause) }, coded.message)
    } else {
      request.log.info({ code: coded.code, status: coded.statusCode }, truncate(coded.message, MAX_DETAIL))
    }
    return sendProblem(reply, request, coded)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, CoreErrors.routeNotFound(`No route ${request.method} ${request.url.split('?')[0]}`)),
  )
}

function describeCause(cause: unknown): string | undefined {
  return cause instanceof Error ? truncate(`${cause.name}: ${cause.message}`, MAX_DETAIL) : undefined
}

export const errorHandler = fp(errorHandlerPlugin, { name: 'core-error-handler' })
