import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createOperationMetrics } from './operation-metrics.ts'

describe("operation step durations' labels", () => {
  it('name the step without the cluster it names: one series per step, however many clusters', async () => {
    const registry = new Registry()
    const metrics = createOperationMetrics(registry, async () => ({}))
    for (const cluster of ['dc3', 'dc4', 'dc5'])
      metrics.observeStep('switchover', `update_primary:${cluster}`, 'succeeded', 0.2)
    metrics.observeStep('drill', 'out.update_primary:dc3', 'succeeded', 0.2)
    metrics.observeStep('switchover', 'demote_primary', 'succeeded', 0.1)
    const text = await registry.metrics()
    const counts = text.split('\n').filter((l) => l.startsWith('vault_dr_operation_step_duration_seconds_count'))
    expect(counts).toEqual([
      'vault_dr_operation_step_duration_seconds_count{kind="switchover",step="update_primary",status="succeeded"} 3',
      'vault_dr_operation_step_duration_seconds_count{kind="drill",step="out.update_primary",status="succeeded"} 1',
      'vault_dr_operation_step_duration_seconds_count{kind="switchover",step="demote_primary",status="succeeded"} 1',
    ])
  })
})
