import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { CoreErrors } from '../core-errors.ts'
import { problemResponse } from '../problem.ts'
import { underV1 } from './auth.ts'

export interface RateLimitOptions {
  /** Requests one client address may make to one route per window. */
  max: number
  windowMs: number
}

/**
 * Generous on purpose: a backstop against a runaway client, never a throttle on real use. A gateway driving 5,000
 * handshakes sends its primary agent one mint per handshake; monitoring reads the status routes, which are not limited.
 */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 10_000, windowMs: 60_000 }

const tooManyRequests = problemResponse(
  'Too many requests from this address to this route (CORE_ERR_RATE_LIMITED): retry after Retry-After seconds',
)

/**
 * An agent's status is a shared, cached read of Vault that monitoring may poll as fast as it likes: limiting it would
 * cost every poll a lookup and protect nothing.
 */
const unlimited = (route: RouteOptions) => route.url === '/v1/status'

/**
 * Each /v1 route gets its own budget per client address (status reads excepted); over it, 429 problem+json with
 * Retry-After. The limit runs after the auth hook: a caller without the token is refused before it counts.
 */
async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions) {
  // Before the plugin's own onRoute hook, which reads the route's config; the OpenAPI document reads the schema later.
  app.addHook('onRoute', (route) => {
    if (!underV1(route.url) || unlimited(route)) return
    route.config = { ...route.config, rateLimit: { max: opts.max, timeWindow: opts.windowMs } }
    if (route.schema?.response !== undefined) {
      route.schema = { ...route.schema, response: { ...(route.schema.response as object), 429: tooManyRequests } }
    }
  })
  await app.register(fastifyRateLimit, {
    global: false,
    // On success the answer carries no rate headers: they would cost every request and tell a client nothing it needs.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) =>
      CoreErrors.rateLimited(
        `More than ${context.max} requests to this route from this address; retry in ${context.after}.`,
      ),
  })
}

export const rateLimits = fp(rateLimitPlugin, { name: 'core-rate-limit' })
