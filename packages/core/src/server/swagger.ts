import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { pruneUnusedSchemas } from '../openapi/prune-schemas.ts'

export interface SwaggerOptions {
  title: string
  version: string
  description: string
  tags?: Array<{ name: string; description: string }>
}

/** OpenAPI 3.1 from the routes' zod schemas, and Swagger UI at /docs (its document at /docs/json). */
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
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'The service API token (VAULT_DR_API_TOKEN)' },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (documentObject) => {
      const document: ReturnType<typeof jsonSchemaTransformObject> = jsonSchemaTransformObject(documentObject)
      return pruneUnusedSchemas(document as Record<string, unknown>) as typeof document
    },
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
}

export const swagger = fp(swaggerPlugin, { name: 'core-swagger' })
