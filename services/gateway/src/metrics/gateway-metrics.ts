import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'

/** The gateway's own metrics: handshakes by state (read from the store at scrape), step durations, failures. */
export function createGatewayMetrics(registry: Registry, countByState: () => Promise<Record<HandshakeState, number>>) {
  new Gauge({
    name: 'vault_dr_handshakes',
    help: 'Handshakes in the store, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await countByState().catch(() => undefined)
      if (counts === undefined) return
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
    },
  })
  const stepDuration = new Histogram({
    name: 'vault_dr_handshake_step_duration_seconds',
    help: 'Duration of handshake steps, by step and outcome',
    labelNames: ['step', 'status'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  })
  const failures = new Counter({
    name: 'vault_dr_handshake_failures_total',
    help: 'Handshakes that failed, by diagnosis code',
    labelNames: ['code'],
    registers: [registry],
  })
  return {
    observeStep(step: string, status: string, seconds: number) {
      stepDuration.observe({ step, status }, seconds)
    },
    countFailure(code: string) {
      failures.inc({ code })
    },
  }
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>
