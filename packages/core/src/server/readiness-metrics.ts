import { Gauge, type Registry } from 'prom-client'

/**
 * The readiness checks' results as metrics, recorded each time /readyz runs them (by a load balancer's or
 * orchestrator's probe), and by the service's own timer where it has one (the gateway), never by a scrape: an
 * agent's checks read its Vault, and a scrape must not.
 */
export function createReadinessMetrics(registry: Registry) {
  const passes = new Gauge({
    name: 'vault_dr_readiness_check',
    help: 'Whether each readiness check passed (1) or failed (0) the last time it ran (/readyz, or the service itself)',
    labelNames: ['check'],
    registers: [registry],
  })
  const checkedAt = new Gauge({
    name: 'vault_dr_readiness_checked_timestamp_seconds',
    help: 'When the readiness checks last ran (Unix seconds)',
    registers: [registry],
  })
  return {
    record(checks: ReadonlyArray<{ name: string; ok: boolean }>, nowMs: number): void {
      for (const check of checks) passes.set({ check: check.name }, check.ok ? 1 : 0)
      checkedAt.set(nowMs / 1000)
    },
  }
}
