import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import { createReadinessMetrics } from './readiness-metrics.ts'

export interface CheckResult {
  ok: boolean
  detail: string
}
export type ReadinessCheck = () => Promise<CheckResult>

const Health = z.object({ status: z.literal('ok'), service: z.string(), version: z.string(), uptime_s: z.number() })
const Readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), latency_ms: z.number() })),
  })
  .meta({ id: 'Readiness' })

/** Liveness answers from memory only; readiness runs the service's named checks, each bounded by a deadline. */
async function healthPlugin(
  app: FastifyInstance,
  opts: {
    service: string
    version: string
    checks: Record<string, ReadinessCheck>
    checkTimeoutMs?: number
    /** Where to record each /readyz answer's checks as metrics. */
    registry?: Registry
    /** Also run the checks every this many ms, recording them as metrics (none: only when /readyz runs them). */
    selfCheckMs?: number
  },
) {
  const started = Date.now()
  const readinessMetrics = opts.registry === undefined ? undefined : createReadinessMetrics(opts.registry)
  const runChecks = async () => {
    const checks = await Promise.all(
      Object.entries(opts.checks).map(([name, check]) => runCheck(name, check, opts.checkTimeoutMs ?? 2000)),
    )
    readinessMetrics?.record(checks, Date.now())
    return checks
  }
  if (opts.selfCheckMs !== undefined && readinessMetrics !== undefined) {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      void runChecks().finally(() => {
        running = false
      })
    }, opts.selfCheckMs)
    timer.unref()
    app.addHook('onReady', async () => void runChecks())
    app.addHook('onClose', async () => clearInterval(timer))
  }
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['monitoring'],
        summary: 'Liveness: the process is up',
        description:
          'Answers 200 while the process serves requests, without asking anything else (no token, no Vault, no ' +
          'store): restart the service only when this fails.',
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({
      status: 'ok' as const,
      service: opts.service,
      version: opts.version,
      uptime_s: Math.round((Date.now() - started) / 1000),
    }),
  )
  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['monitoring'],
        summary: 'Readiness: every named check passes',
        description:
          "Runs the service's checks (an agent: its Vault answers and its Vault token can do what its operations " +
          'need; the gateway: its store) and answers 200 when all pass, 503 naming each that fails with a code and ' +
          'a fix. Each answer is also exported on /metrics as vault_dr_readiness_check.',
        security: [],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks = await runChecks()
      const ready = checks.every((c) => c.ok)
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
    },
  )
}

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs)
  })
  try {
    const result = await Promise.race([check(), timeout])
    return { name, ...result, latency_ms: Math.round(performance.now() - started) }
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, latency_ms: Math.round(performance.now() - started) }
  } finally {
    clearTimeout(timer)
  }
}

export const health = fp(healthPlugin, { name: 'core-health' })
