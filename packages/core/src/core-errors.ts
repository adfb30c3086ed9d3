import { defineError } from './errors.ts'

/** The core catalogue: errors any vault-dr service can answer with. */
export const CoreErrors = {
  routeNotFound: defineError({ code: 'CORE_ERR_ROUTE_NOT_FOUND', status: 404, title: 'No such route' }),
  notFound: defineError({ code: 'CORE_ERR_NOT_FOUND', status: 404, title: 'Not found' }),
  rateLimited: defineError({
    code: 'CORE_ERR_RATE_LIMITED',
    status: 429,
    title: 'Too many requests',
    fix: 'Wait the seconds given in Retry-After, then retry; slow the client down.',
  }),
  validation: defineError({
    code: 'CORE_ERR_VALIDATION',
    status: 400,
    title: 'The request is not valid',
    fix: 'Correct the named fields; the OpenAPI document at /docs/json describes each one.',
  }),
  malformedBody: defineError({
    code: 'CORE_ERR_MALFORMED_BODY',
    status: 400,
    title: 'The request body could not be parsed',
    fix: 'Send a well-formed JSON body.',
  }),
  unsupportedMediaType: defineError({
    code: 'CORE_ERR_UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    title: 'Unsupported content type',
    fix: 'Send the body as application/json.',
  }),
  bodyTooLarge: defineError({
    code: 'CORE_ERR_BODY_TOO_LARGE',
    status: 413,
    title: 'The request body is too large',
    fix: 'Send a smaller body; the limit is set by VAULT_DR_BODY_LIMIT.',
  }),
  badRequest: defineError({ code: 'CORE_ERR_BAD_REQUEST', status: 400, title: 'Bad request' }),
  headersTooLarge: defineError({
    code: 'CORE_ERR_HEADERS_TOO_LARGE',
    status: 431,
    title: 'The request headers are too large',
    fix: 'Send a shorter URL and fewer or smaller headers: together at most 16 KB.',
  }),
  requestTimeout: defineError({
    code: 'CORE_ERR_REQUEST_TIMEOUT',
    status: 408,
    title: 'The request took too long to arrive',
    fix: 'Send the request again, whole and without pauses.',
  }),
  unauthorized: defineError({
    code: 'CORE_ERR_UNAUTHORIZED',
    status: 401,
    title: 'Missing or wrong API token',
    fix: 'Send "Authorization: Bearer <token>" with the token set in VAULT_DR_API_TOKEN or VAULT_DR_API_TOKEN_FILE.',
  }),
  readOnlyToken: defineError({
    code: 'CORE_ERR_READ_ONLY_TOKEN',
    status: 403,
    title: 'This token only reads',
    fix: 'Send the API token (VAULT_DR_API_TOKEN) for a request that changes something; the read token reads only.',
  }),
  conflict: defineError({ code: 'CORE_ERR_CONFLICT', status: 409, title: 'Conflict' }),
  shuttingDown: defineError({
    code: 'CORE_ERR_SHUTTING_DOWN',
    status: 503,
    title: 'The service is shutting down',
    fix: 'Retry against another instance or after restart.',
  }),
  internal: defineError({
    code: 'CORE_ERR_INTERNAL',
    status: 500,
    title: 'Internal error',
    fix: 'This is a bug in vault-dr: report it with the request id (instance) and the service log.',
  }),
  upstreamUnavailable: defineError({
    code: 'CORE_ERR_UPSTREAM_UNAVAILABLE',
    status: 502,
    title: 'An upstream service could not be reached',
  }),
  upstreamFailed: defineError({ code: 'CORE_ERR_UPSTREAM', status: 502, title: 'An upstream service failed' }),
  timeout: defineError({ code: 'CORE_ERR_TIMEOUT', status: 504, title: 'An upstream call timed out' }),
} as const
