import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { problemResponse } from '../problem.ts'
import { sendProblem } from './error-handler.ts'

/**
 * Constant-time check of a bearer token against the expected one, given as a string or as its UTF-8 bytes (from a
 * hot path that encoded it once). Only the expected token's length can show in the timing, which tells nothing usable
 * about a random token; hashing both sides to hide it cost more than the rest of a status request.
 */
export function bearerMatches(header: string | undefined, expected: string | Buffer): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '')
  if (match === null) return false
  const presented = Buffer.from(match[1] ?? '', 'utf8')
  const wanted = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected
  return wanted.length > 0 && presented.length === wanted.length && timingSafeEqual(presented, wanted)
}

/**
 * The header as clients send it, `Bearer <token>`, compared in constant time without a regular expression or a UTF-8
 * encoding (a measurable share of a cached status answer). Any other spelling goes to bearerMatches.
 */
function exactHeader(apiToken: string): (header: string | undefined) => boolean {
  const wanted = Buffer.from(`Bearer ${apiToken}`, 'latin1')
  if (!/^[\x21-\x7e]+$/.test(apiToken)) return () => false
  return (header) =>
    header !== undefined &&
    header.length === wanted.length &&
    header.startsWith('Bearer ') &&
    // Only ASCII compares byte for byte once encoded as latin1.
    Buffer.byteLength(header) === header.length &&
    timingSafeEqual(Buffer.from(header, 'latin1'), wanted)
}

/** Whether a path (without its query) is under /v1, where every route needs the token. */
export const underV1 = (path: string) => path === '/v1' || path.startsWith('/v1/')

/** Whether an Authorization header carries the API token; the token is encoded once here, not on every request. */
export function apiTokenCheck(apiToken: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(apiToken, 'utf8')
  const exactly = exactHeader(apiToken)
  return (header) => exactly(header) || bearerMatches(header, expected)
}

export const refuseWithoutToken = () => CoreErrors.unauthorized('This route needs the API bearer token.')

/**
 * A second token a service may accept, for the requests that change nothing (a status page's): GET and HEAD, and the
 * routes whose config says `readsOnly` (a plan or a check asked by POST). `value` unset: none is accepted, but the
 * routes it may not call still document their 403, so the API document does not depend on the configuration.
 */
export interface ReadOnlyToken {
  /** The variable that sets it, named in the API document and in the refusal. */
  variable: string
  value: string | undefined
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that changes nothing (a plan, a check): the read-only token may call it. */
    readsOnly?: boolean
  }
}

/** Whether the read-only token may call a route: one that changes nothing. */
export const readOnlyMayCall = (method: string | readonly string[], readsOnly: boolean | undefined) =>
  readsOnly === true || [method].flat().every((m) => m === 'GET' || m === 'HEAD')

/** Whether an Authorization header carries the API token, or the read-only token when there is one. */
export function anyTokenCheck(apiToken: string, readOnly: ReadOnlyToken | undefined) {
  const api = apiTokenCheck(apiToken)
  const read = readOnly?.value === undefined ? () => false : apiTokenCheck(readOnly.value)
  return (header: string | undefined) => api(header) || read(header)
}

/** Every /v1 route needs the service's bearer token; health, readiness, metrics and docs stay open. */
async function authPlugin(app: FastifyInstance, opts: { apiToken: string; readOnly?: ReadOnlyToken | undefined }) {
  const allows = apiTokenCheck(opts.apiToken)
  const readValue = opts.readOnly?.value
  const readOnlyAllows = readValue === undefined ? () => false : apiTokenCheck(readValue)
  app.addHook('onRequest', (request, reply, done) => {
    // The matched route decides, not the raw URL: the router decodes `/%761/things` to the /v1/things route.
    const route = request.routeOptions.url
    if (!underV1(route ?? '') && !underV1(request.url.split('?')[0] ?? '')) return done()
    const header = request.headers.authorization
    if (allows(header)) return done()
    if (!readOnlyAllows(header)) {
      sendProblem(reply, request, refuseWithoutToken())
      return
    }
    if (!readOnlyMayCall(request.method, request.routeOptions.config.readsOnly)) {
      const detail = `${request.method} ${route ?? 'this route'} changes something: the read-only token (${opts.readOnly?.variable}) may not call it.`
      sendProblem(reply, request, CoreErrors.readOnlyToken(detail))
      return
    }
    done()
  })
  if (opts.readOnly === undefined) return
  // Documented whether or not a read-only token is set: the API document is the same for every configuration.
  const refused = problemResponse(`The read-only token (${opts.readOnly.variable}) was sent (CORE_ERR_READ_ONLY_TOKEN)`)
  app.addHook('onRoute', (route) => {
    if (!underV1(route.url) || readOnlyMayCall(route.method, route.config?.readsOnly)) return
    route.schema ??= {}
    route.schema.response = { ...(route.schema.response as object | undefined), 403: refused }
  })
}

export const bearerAuth = fp(authPlugin, { name: 'core-bearer-auth' })
