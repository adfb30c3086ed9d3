import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { zodSchemaController } from './zod-compilers.ts'

/** Headers that belong to one connection, not to the answer being forwarded. */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'date'])

const without = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name))) as Record<string, string>

/**
 * Swagger UI in an app of its own, built on the first visit: @fastify/swagger-ui and @fastify/static cost a service
 * time and memory at every start, for a page few ever open. Requests reach it through `inject`, so the service's own
 * hooks (request id, metrics, logs) and its problem+json 404 still apply. The document is the service's.
 */
export function swaggerUiForwarder(document: () => unknown) {
  let ui: Promise<FastifyInstance> | undefined
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= buildUiApp(document).catch((err: unknown) => {
      ui = undefined
      throw err
    })
    const res = await (await ui).inject({
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      url: request.url,
      headers: without(request.headers),
    })
    if (res.statusCode === 404) return reply.callNotFound()
    return reply.status(res.statusCode).headers(without(res.headers)).send(res.rawPayload)
  }
  const close = async () => {
    if (ui !== undefined) await (await ui.catch(() => undefined))?.close()
  }
  return Object.assign(forward, { close })
}

async function buildUiApp(document: () => unknown): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: fastifySwagger }, { default: fastifySwaggerUi }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ])
  const ui = Fastify({ logger: false, schemaController: zodSchemaController })
  // Static mode: the routes are the service's, already known, so the UI app only hands its document on.
  await ui.register(fastifySwagger, {
    mode: 'static',
    specification: { document: document() as Parameters<typeof ui.swagger>[0] & object },
  } as never)
  await ui.register(fastifySwaggerUi, { routePrefix: '/docs' })
  await ui.ready()
  return ui
}
