import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { z } from 'zod'
import { RequestTallies } from './request-tallies.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry
  }
}

/** Prometheus metrics in a registry of the app's own, so several apps can live in one process (tests). */
async function metricsPlugin(app: FastifyInstance, opts: { service: string; registry?: Registry | undefined }) {
  const registry = opts.registry ?? new Registry()
  registry.setDefaultLabels({ service: opts.service })
  collectDefaultMetrics({ register: registry })
  const requests = new RequestTallies()
  requests.register(registry)
  app.decorate('metrics', registry)
  app.addHook('onResponse', (request, reply, done) => {
    requests.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['monitoring'],
        summary: 'Prometheus metrics (text exposition format)',
        security: [],
        response: { 200: z.string().describe('Prometheus text exposition format') },
      },
    },
    async (_request, reply) => {
      const body = await registry.metrics()
      return reply.type(registry.contentType).send(body)
    },
  )
}

export const metrics = fp(metricsPlugin, { name: 'core-metrics' })
