import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { FollowerStreamWatch } from './follower-streams.ts'

const T = Date.parse('2026-12-06T00:00:00Z')
const status = (connection_state: string, heartbeat_age_s: number | null) =>
  ({
    replication: { mode: 'secondary', connection_state, primaries: [{ heartbeat_age_s }] },
  }) as unknown as ClusterStatus

describe('the streams of an old primary’s other DR secondaries', () => {
  it('tells streaming, lost since when, and unknown; keeps since while lost, forgets it once streaming again', () => {
    const watch = new FollowerStreamWatch()
    const first = watch.observe(
      'dc1',
      [
        { name: 'dc3', status: status('ready', 1) },
        { name: 'dc4', status: status('idle', 40) },
        { name: 'dc5', status: undefined },
      ],
      T,
    )
    expect(first).toEqual({ streaming: ['dc3'], unknown: ['dc5'], lostSince: T - 40_000 })
    // A heartbeat heard lately counts as streaming, as the pair's own secondary view has it.
    expect(watch.observe('dc1', [{ name: 'dc3', status: status('connecting', 3) }], T).streaming).toEqual(['dc3'])
    // dc4 reports no heartbeat later on: still lost since it was first seen so.
    expect(watch.observe('dc1', [{ name: 'dc4', status: status('idle', null) }], T + 60_000).lostSince).toBe(T - 40_000)
    // Lost since its first sight when it never said when; the later of two losses counts.
    const later = watch.observe(
      'dc1',
      [
        { name: 'dc4', status: status('idle', null) },
        { name: 'dc6', status: status('idle', null) },
      ],
      T + 90_000,
    )
    expect(later.lostSince).toBe(T + 90_000)
    // Streaming again, then lost: counted anew.
    watch.observe('dc1', [{ name: 'dc4', status: status('ready', 0) }], T + 100_000)
    expect(watch.observe('dc1', [{ name: 'dc4', status: status('idle', null) }], T + 200_000).lostSince).toBe(
      T + 200_000,
    )
  })
})
