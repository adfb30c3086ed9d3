import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import { z } from 'zod'

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
  const requests = new Counter({
    name: 'vault_dr_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'vault_dr_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  app.decorate('metrics', registry)
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status_code: reply.statusCode })
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000)
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
