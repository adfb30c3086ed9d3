import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerProcessMetrics } from './metrics.ts'

describe('registerProcessMetrics', () => {
  it('keeps the process and Node.js metrics but no gauge named like a counter', async () => {
    const registry = new Registry()
    registerProcessMetrics(registry)
    const families = (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }))
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
        'nodejs_active_handles',
        'nodejs_active_requests',
        'nodejs_active_resources',
      ]),
    )
    expect(families.filter((f) => f.name.endsWith('_total') && f.type !== 'counter')).toEqual([])
  })
})
