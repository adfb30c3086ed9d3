import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
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

/** Every /v1 route needs the service's bearer token; health, readiness, metrics and docs stay open. */
async function authPlugin(app: FastifyInstance, opts: { apiToken: string }) {
  const allows = apiTokenCheck(opts.apiToken)
  app.addHook('onRequest', (request, reply, done) => {
    // The matched route decides, not the raw URL: the router decodes `/%761/things` to the /v1/things route.
    const route = request.routeOptions.url
    if (!underV1(route ?? '') && !underV1(request.url.split('?')[0] ?? '')) return done()
    if (!allows(request.headers.authorization)) {
      sendProblem(reply, request, refuseWithoutToken())
      return
    }
    done()
  })
}

export const bearerAuth = fp(authPlugin, { name: 'core-bearer-auth' })
