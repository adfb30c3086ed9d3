import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { sendProblem } from './error-handler.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Constant-time check of a bearer token; hashing first makes both sides the same length. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '')
  const presented = match?.[1] ?? ''
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0
}

/** Every /v1 route needs the service's bearer token; health, readiness, metrics and docs stay open. */
async function authPlugin(app: FastifyInstance, opts: { apiToken: string }) {
  app.addHook('onRequest', async (request, reply) => {
    // The matched route decides, not the raw URL: the router decodes `/%761/things` to the /v1/things route.
    const underV1 = (path: string) => path === '/v1' || path.startsWith('/v1/')
    const route = request.routeOptions.url
    if (!underV1(route ?? '') && !underV1(request.url.split('?')[0] ?? '')) return
    if (!bearerMatches(request.headers.authorization, opts.apiToken)) {
      return sendProblem(reply, request, CoreErrors.unauthorized('This route needs the API bearer token.'))
    }
  })
}

export const bearerAuth = fp(authPlugin, { name: 'core-bearer-auth' })
