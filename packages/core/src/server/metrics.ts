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
  registerProcessMetrics(registry)
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
        description:
          "Request counts and durations by route template, process metrics, and the service's own families (agents: " +
          'Vault calls and DR state; gateway: handshakes, steps, pairs and DR operation tokens). A scrape asks ' +
          'nothing of Vault. Passes promtool check metrics.',
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

/**
 * prom-client's default process and Node.js metrics, less the three gauges it names like counters (`_total`), which
 * `promtool check metrics` rejects. Nothing is lost: `sum(nodejs_active_handles)` (and likewise requests, resources)
 * adds up the per-type gauges to the same total.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry })
  for (const name of GAUGES_NAMED_AS_COUNTERS) registry.removeSingleMetric(name)
}
const GAUGES_NAMED_AS_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

export const metrics = fp(metricsPlugin, { name: 'core-metrics' })
