import { describe, expect, it } from 'vitest'
import { newLeg, reversed } from '../role-changes/leg.ts'
import { pairsAfter } from './pairs-after.ts'

const out = newLeg('dc1', 'dc2', 'dc2', [
  { cluster: 'dc1', secondary_id: 'dc1' },
  { cluster: 'dc3', secondary_id: 'dc3-id' },
])

describe('the pairs a role change left', () => {
  it('after a switchover: every follower with the new primary', () => {
    expect(pairsAfter({ kind: 'switchover', state: 'succeeded', data: { legs: [out] } })).toEqual([
      { secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1' },
      { secondary: 'dc3', primary: 'dc2', secondary_id: 'dc3-id' },
    ])
  })

  it('after a drill: back as they were; nothing from an unfinished or failed one', () => {
    expect(pairsAfter({ kind: 'drill', state: 'succeeded', data: { legs: [out, reversed(out)] } })).toEqual([
      { secondary: 'dc2', primary: 'dc1', secondary_id: 'dc2' },
      { secondary: 'dc3', primary: 'dc1', secondary_id: 'dc3-id' },
    ])
    expect(pairsAfter({ kind: 'switchover', state: 'failed', data: { legs: [out] } })).toBeUndefined()
    expect(pairsAfter({ kind: 'failover', state: 'succeeded', data: {} })).toBeUndefined()
  })
})
