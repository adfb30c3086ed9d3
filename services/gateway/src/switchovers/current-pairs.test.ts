import { describe, expect, it } from 'vitest'
import type { OperationRecord } from '../operations/operation-record.ts'
import { newLeg } from '../role-changes/leg.ts'
import type { Store } from '../store/store.ts'
import { currentPairs } from './current-pairs.ts'

const switched = (from: string, to: string, followers: string[]) =>
  ({
    kind: 'switchover',
    state: 'succeeded',
    data: {
      legs: [
        newLeg(
          from,
          to,
          to,
          followers.map((c) => ({ cluster: c, secondary_id: c })),
        ),
      ],
    },
  }) as unknown as OperationRecord

function store(handshakes: Array<[string, string]>, newestFirst: OperationRecord[]): Store {
  return {
    pairedSecondaries: async () =>
      handshakes.map(([primary, secondary]) => ({ primary, secondary, secondary_id: secondary })),
    listOperations: async () => newestFirst,
  } as unknown as Store
}

describe('the pairs now', () => {
  it('are the handshakes overlaid by the newest role change of each cluster (a promoted one has no pair)', async () => {
    const pairs = await currentPairs(
      store(
        [
          ['dc1', 'dc2'],
          ['dc1', 'dc3'],
          ['dc5', 'dc6'],
        ],
        [switched('dc2', 'dc1', ['dc2', 'dc3']), switched('dc1', 'dc2', ['dc1', 'dc3'])],
      ),
    )
    expect(Object.fromEntries(pairs.map((p) => [p.secondary, p.primary]))).toEqual({
      dc2: 'dc1',
      dc3: 'dc1',
      dc6: 'dc5',
    })
  })
})
