import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { sendProblem } from './error-handler.ts'

const digest = (value: string) => hash('sha256', value, 'buffer')

/**
 * Constant-time check of a bearer token against the expected one, or against its SHA-256 digest (from a hot path
 * that hashed it once); hashing first makes both sides the same length.
 */
export function bearerMatches(header: string | undefined, expected: string | Buffer): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '')
  const presented = match?.[1] ?? ''
  const expectedDigest = typeof expected === 'string' ? digest(expected) : expected
  return timingSafeEqual(digest(presented), expectedDigest) && presented.length > 0
}

const underV1 = (path: string) => path === '/v1' || path.startsWith('/v1/')

/** Every /v1 route needs the service's bearer token; health, readiness, metrics and docs stay open. */
async function authPlugin(app: FastifyInstance, opts: { apiToken: string }) {
  // Hashed once here, not on every request (monitoring polls /v1/status at high rates).
  const expected = digest(opts.apiToken)
  app.addHook('onRequest', (request, reply, done) => {
    // The matched route decides, not the raw URL: the router decodes `/%761/things` to the /v1/things route.
    const route = request.routeOptions.url
    if (!underV1(route ?? '') && !underV1(request.url.split('?')[0] ?? '')) return done()
    if (!bearerMatches(request.headers.authorization, expected)) {
      sendProblem(reply, request, CoreErrors.unauthorized('This route needs the API bearer token.'))
      return
    }
    done()
  })
}

export const bearerAuth = fp(authPlugin, { name: 'core-bearer-auth' })
