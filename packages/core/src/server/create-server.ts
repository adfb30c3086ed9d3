import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { DestinationStream } from 'pino'
import type { Registry } from 'prom-client'
import { CoreErrors } from '../core-errors.ts'
import { anyTokenCheck, bearerAuth, type ReadOnlyToken } from './auth.ts'
import { clientErrorHandler } from './client-errors.ts'
import { contentEncoding } from './content-encoding.ts'
import { errorHandler, sendProblem } from './error-handler.ts'
import { health, type ReadinessCheck } from './health.ts'
import { loggerOptions } from './logger.ts'
import { metrics } from './metrics.ts'
import { DEFAULT_RATE_LIMIT, type RateLimitOptions, rateLimits } from './rate-limit.ts'
import { logRequest } from './request-log.ts'
import { requestLoggerFactory } from './request-logger.ts'
import { swagger } from './swagger.ts'
import { undeclaredInput } from './undeclared-input.ts'
import { urlErrorHandler } from './url-errors.ts'
import { zodSchemaController } from './zod-compilers.ts'

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>

export interface ServerOptions {
  name: string
  version: string
  description: string
  apiToken: string
  /** A token that may only read (a status page's); the gateway's VAULT_DR_READ_TOKEN. */
  readOnlyToken?: ReadOnlyToken
  logLevel?: string
  /** Where logs go; tests pass a stream to search the captured lines. */
  logStream?: DestinationStream
  bodyLimit?: number
  readiness?: Record<string, ReadinessCheck>
  /**
   * Also run the readiness checks every this many ms, for their metrics: alerts on them then need no /readyz prober
   * (the gateway's store check; an agent's read its Vault, so agents leave it to the probes).
   */
  readinessSelfCheckMs?: number
  /** A metrics registry made beforehand, so parts built before the app can register their metrics. */
  registry?: Registry
  tags?: Array<{ name: string; description: string }>
  /** Serve HTTPS with this certificate (chain) and key. */
  tls?: { certPem: string; keyPem: string } | undefined
  /** Requests per client address and /v1 route (status reads excepted); default DEFAULT_RATE_LIMIT. */
  rateLimit?: RateLimitOptions
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * A Fastify app with what every vault-dr service shares: zod schemas, OpenAPI 3.1, problem+json errors,
 * request ids, redacted logs, health, readiness, metrics and bearer auth on /v1. It never listens.
 */
export async function createServer(opts: ServerOptions): Promise<App> {
  // Typed as the HTTP server whichever it is: nothing here depends on the difference.
  const https = opts.tls === undefined ? null : { cert: opts.tls.certPem, key: opts.tls.keyPem }
  const app = Fastify({
    https: https as unknown as null,
    logger: loggerOptions({ level: opts.logLevel ?? 'info', stream: opts.logStream }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    // While closing, the onRequest hook below answers (problem+json with a code), not Fastify's own plain 503.
    return503OnClosing: false,
    // Fastify's two log lines per request at info cost more than a cached status answer; request-log.ts writes one.
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: zodSchemaController,
    childLoggerFactory: requestLoggerFactory,
    // Errors Fastify meets before routing (a malformed URL) get the same problem+json as every other error.
    frameworkErrors: urlErrorHandler(anyTokenCheck(opts.apiToken, opts.readOnlyToken)),
    // And so do requests Node's HTTP parser refuses before Fastify sees them.
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>()

  // JSON only: Fastify's default text/plain parser would let a string body reach the schema instead of a 415.
  app.removeContentTypeParser('text/plain')
  // Set when close() starts (Fastify stops accepting connections then, and lets requests in flight finish).
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  // Hooks on every request are callback-style: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    if (closing) answerWhileClosing(request, reply, done)
    else done()
  })
  app.addHook('onResponse', logRequest)

  await app.register(swagger, {
    title: opts.name,
    version: opts.version,
    description: opts.description,
    ...(opts.tags === undefined ? {} : { tags: opts.tags }),
    ...(opts.readOnlyToken === undefined ? {} : { readOnlyTokenVariable: opts.readOnlyToken.variable }),
  })
  await app.register(errorHandler)
  await app.register(undeclaredInput)
  await app.register(bearerAuth, { apiToken: opts.apiToken, readOnly: opts.readOnlyToken })
  await app.register(contentEncoding)
  await app.register(rateLimits, opts.rateLimit ?? DEFAULT_RATE_LIMIT)
  await app.register(metrics, { service: opts.name, registry: opts.registry })
  await app.register(health, {
    service: opts.name,
    version: opts.version,
    checks: opts.readiness ?? {},
    registry: app.metrics,
    ...(opts.readinessSelfCheckMs === undefined ? {} : { selfCheckMs: opts.readinessSelfCheckMs }),
  })
  return app
}

/**
 * A request that arrives while the service drains (on a kept-alive connection, or pipelined): 503 problem+json
 * CORE_ERR_SHUTTING_DOWN, so a client retries elsewhere. Liveness still answers (the process is up until it exits);
 * readiness answers 503 not_ready in its own documented shape, so a load balancer takes the instance out.
 */
function answerWhileClosing(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  // Never return the reply from a hook: it is thenable, and Fastify would run the rest of the chain once it is sent.
  switch (request.routeOptions.url) {
    case '/healthz':
      done()
      break
    case '/readyz':
      reply.status(503).send({
        status: 'not_ready',
        checks: [{ name: 'shutdown', ok: false, detail: 'the service is shutting down', latency_ms: 0 }],
      })
      break
    default:
      sendProblem(reply, request, CoreErrors.shuttingDown('The service is shutting down and takes no new requests.'))
  }
}
