import { describe, expect, it } from 'vitest'
import { catchUp, windowMs } from './catch-up.ts'

const input = {
  primaryLastWal: 120,
  primaryMerkleRoot: 'abc',
  secondaryLastRemoteWal: 120,
  secondaryMerkleRoot: 'abc',
}

describe('catchUp: has the secondary everything the demoted primary wrote?', () => {
  it('yes with equal merkle roots and a WAL index not behind', () => {
    expect(catchUp(input)).toEqual({ caughtUp: true, walsBehind: 0, by: 'merkle_root' })
    expect(catchUp({ ...input, secondaryLastRemoteWal: 125 }).caughtUp).toBe(true)
  })

  it('no while WALs are missing, saying how many, even if the roots happen to match', () => {
    const verdict = catchUp({ ...input, secondaryLastRemoteWal: 117 })
    expect(verdict).toMatchObject({ caughtUp: false, walsBehind: 3 })
    expect(verdict.caughtUp ? '' : verdict.reason).toContain('3 behind')
  })

  it('no when the roots differ at the same index (not the same data)', () => {
    expect(catchUp({ ...input, secondaryMerkleRoot: 'def' })).toMatchObject({ caughtUp: false, walsBehind: 0 })
  })

  it('the roots decide when no WAL index is known; the WAL decides when no root is', () => {
    expect(catchUp({ ...input, primaryLastWal: null }).caughtUp).toBe(true)
    expect(catchUp({ ...input, primaryMerkleRoot: null }).caughtUp).toBe(true)
    expect(catchUp({ ...input, primaryMerkleRoot: null, secondaryLastRemoteWal: 100 }).caughtUp).toBe(false)
  })

  it('nothing known proves nothing', () => {
    expect(
      catchUp({ primaryLastWal: null, primaryMerkleRoot: null, secondaryLastRemoteWal: 5, secondaryMerkleRoot: 'x' }),
    ).toMatchObject({ caughtUp: false, walsBehind: null })
  })
})

describe('windowMs', () => {
  it('is the time between two instants, null when one is unknown', () => {
    expect(windowMs('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.250Z')).toBe(1250)
    expect(windowMs(null, '2026-01-01T00:00:01.250Z')).toBeNull()
  })
})
