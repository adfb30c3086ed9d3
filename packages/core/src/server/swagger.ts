import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { pruneUnusedSchemas } from '../openapi/prune-schemas.ts'
import { swaggerUiForwarder } from './swagger-ui.ts'

export interface SwaggerOptions {
  title: string
  version: string
  description: string
  tags?: Array<{ name: string; description: string }>
  /** The variable of a read-only token the service also takes, when it takes one. */
  readOnlyTokenVariable?: string
}

/** OpenAPI 3.1 from the routes' zod schemas, its document at /docs/json (and /docs/yaml), Swagger UI at /docs. */
async function swaggerPlugin(app: FastifyInstance, opts: SwaggerOptions) {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, version: opts.version, description: opts.description },
      tags: [
        { name: 'monitoring', description: 'Health, readiness and metrics; no token needed' },
        ...(opts.tags ?? []),
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              opts.readOnlyTokenVariable === undefined
                ? 'The service API token (VAULT_DR_API_TOKEN)'
                : `The service API token (VAULT_DR_API_TOKEN); or its read-only token (${opts.readOnlyTokenVariable}), for GET routes and the POST routes that change nothing (plans, preflight): any other answers 403 CORE_ERR_READ_ONLY_TOKEN`,
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (documentObject) => {
      const document: ReturnType<typeof jsonSchemaTransformObject> = jsonSchemaTransformObject(documentObject)
      return withRetryAfter(pruneUnusedSchemas(document as Record<string, unknown>)) as typeof document
    },
  })
  const hide = { schema: { hide: true } }
  app.get('/docs/json', hide, async () => app.swagger())
  app.get('/docs/yaml', hide, async (_request, reply) =>
    reply.type('application/x-yaml').send(app.swagger({ yaml: true })),
  )
  // Swagger UI (and @fastify/static under it) is loaded on the first visit to /docs, not at every start.
  const forward = swaggerUiForwarder(() => app.swagger())
  const ui = (request: FastifyRequest, reply: FastifyReply) => forward(request, reply)
  app.get('/docs', hide, ui)
  app.get('/docs/*', hide, ui)
  app.addHook('onClose', () => forward.close())
}

/**
 * Every 429 answer documents its Retry-After header (the rate limit sends it): the zod transform keeps a response's
 * content only, so the header is added to the finished document.
 */
function withRetryAfter(document: Record<string, unknown>): Record<string, unknown> {
  const paths = (document.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, object> }>>
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const tooMany = operation.responses?.['429']
      if (tooMany === undefined) continue
      Object.assign(tooMany, {
        headers: {
          'Retry-After': {
            description: 'Seconds until this address may call this route again',
            schema: { type: 'integer', minimum: 0 },
          },
        },
      })
    }
  }
  return document
}

export const swagger = fp(swaggerPlugin, { name: 'core-swagger' })
