import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { Pair } from '../pairs/pairs.schemas.ts'
import { createPairMetrics } from './gateway-metrics.ts'

const pair = (primary: string, secondary: string) =>
  ({
    primary,
    secondary,
    clusters: { secondary: { state: 'stream-wals' } },
    connection_state: 'ready',
    merkle_corrupted: false,
    lag: { wals: 0 },
    heartbeat_age_s: 1,
    dr_operation_token: { expires_at: '2026-12-07T18:00:00.000Z' },
  }) as unknown as Pair

describe('the per-pair series', () => {
  it('of a pair no longer listed (its roles swapped) are removed; those of the listed pair stay', async () => {
    const registry = new Registry()
    const metrics = createPairMetrics(registry)
    for (const p of [pair('dc1', 'dc2'), pair('dc2', 'dc1')]) {
      metrics.observePair(p)
      metrics.observeReady(p, false)
    }
    metrics.retainPairs([{ primary: 'dc1', secondary: 'dc2' }])
    const text = await registry.metrics()
    expect(text).toContain('vault_dr_pair_ready{primary="dc1",secondary="dc2"} 0')
    expect(text).toContain('vault_dr_operation_token_expiry_timestamp_seconds{primary="dc1",secondary="dc2"}')
    expect(text).not.toContain('primary="dc2",secondary="dc1"')
  })
})
