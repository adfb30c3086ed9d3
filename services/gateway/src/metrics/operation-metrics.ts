import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { StepMetrics } from '../operations/run-steps.ts'

/** Counts of operations by kind and state: the generic journal's (the store's countOperations) and the handshakes. */
export type CountOperations = () => Promise<Record<string, Record<string, number>>>

/**
 * Metrics of every operation kind, handshakes included (which keep their own series besides): operations by kind and
 * state (read from the store at scrape), step durations and failures by kind.
 */
export function createOperationMetrics(registry: Registry, countOperations: CountOperations): StepMetrics {
  new Gauge({
    name: 'vault_dr_operations',
    help: 'Operations in the store, by kind and state (handshakes included)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      const counts = await countOperations().catch(() => undefined)
      if (counts === undefined) return
      for (const [kind, byState] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(byState)) this.set({ kind, state }, n)
      }
    },
  })
  const stepDuration = new Histogram({
    name: 'vault_dr_operation_step_duration_seconds',
    help: 'Duration of operation steps, by kind, step (without the cluster a step names) and outcome',
    labelNames: ['kind', 'step', 'status'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  })
  const failures = new Counter({
    name: 'vault_dr_operation_failures_total',
    help: 'Operations that failed, by kind and diagnosis code',
    labelNames: ['kind', 'code'],
    registers: [registry],
  })
  return {
    observeStep(kind, step, status, seconds) {
      stepDuration.observe({ kind, step: stepLabel(step), status }, seconds)
    },
    countFailure(kind, code) {
      failures.inc({ kind, code })
    },
  }
}

/** A step's name without the cluster it names (`update_primary:dc3` is `update_primary`): one series per step, not per cluster. */
export function stepLabel(step: string): string {
  const colon = step.indexOf(':')
  return colon === -1 ? step : step.slice(0, colon)
}
