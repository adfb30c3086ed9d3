import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { RECENT_STATUS_MS } from '../role-changes/recent-statuses.ts'
import { planReads } from './plan-reads.ts'

const status = (label: string) => ({ checked_at: label }) as unknown as ClusterStatus

describe('the statuses read at creation, handed to the first run', () => {
  it('are taken once, and only those still recent', () => {
    let clock = 0
    const reads = planReads(() => clock)
    reads.put('op-1', [
      { cluster: 'dc1', status: status('old'), at: -RECENT_STATUS_MS },
      { cluster: 'dc2', status: status('new'), at: -10 },
    ])
    clock = 1
    expect(reads.take('op-1').map((r) => r.cluster)).toEqual(['dc2'])
    expect(reads.take('op-1')).toEqual([])
  })

  it('forgets the reads of operations no run here took once they are too old to use', () => {
    let clock = 0
    const reads = planReads(() => clock)
    reads.put('op-elsewhere', [{ cluster: 'dc1', status: status('a'), at: 0 }])
    clock = RECENT_STATUS_MS + 1
    reads.put('op-2', [{ cluster: 'dc1', status: status('b'), at: clock }])
    clock -= RECENT_STATUS_MS + 1
    // Had it been kept, it would be fresh again at this clock.
    expect(reads.take('op-elsewhere')).toEqual([])
  })
})
