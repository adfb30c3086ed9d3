import { describe, expect, it } from 'vitest'
import { ReplicatedStorage } from './storage.ts'

describe('ReplicatedStorage', () => {
  it('numbers every write and ships it to listeners', () => {
    const storage = new ReplicatedStorage()
    const seen: number[] = []
    storage.onWrite((entry) => seen.push(entry.index))
    expect(storage.put('a', { v: 1 })).toBe(1)
    expect(storage.delete('a')).toBe(2)
    expect(seen).toEqual([1, 2])
    expect(storage.get('a')).toBeUndefined()
  })

  it('gives equal merkle roots to equal data, whatever the path to it', () => {
    const primary = new ReplicatedStorage()
    const secondary = new ReplicatedStorage()
    secondary.put('local', 1)
    primary.put('a', 1)
    primary.put('b', 2)
    expect(secondary.merkleRoot()).not.toBe(primary.merkleRoot())
    secondary.restore(primary.snapshot())
    expect(secondary.merkleRoot()).toBe(primary.merkleRoot())
    primary.onWrite((entry) => secondary.apply(entry))
    primary.put('c', 3)
    expect(secondary.lastWal).toBe(3)
    expect(secondary.merkleRoot()).toMatch(/^[0-9a-f]{40}$/)
    expect(secondary.merkleRoot()).toBe(primary.merkleRoot())
  })
})

/** A primary with three writes and a secondary synced to them, as after an activation. */
function pair(walBufferEntries?: number) {
  const primary = new ReplicatedStorage({ walBufferEntries })
  primary.put('a', 1)
  primary.put('b', 2)
  primary.put('c', 3)
  const secondary = new ReplicatedStorage()
  secondary.restore(primary.snapshot())
  return { primary, secondary }
}

describe("the primary's WAL buffer: what a reconnecting secondary missed", () => {
  it('is every write since its last WAL, overwrites and deletes included, when its root is the root as of then', () => {
    const { primary, secondary } = pair()
    primary.put('a', 10)
    primary.delete('b')
    primary.put('d', 4)
    const missed = primary.missedSince(secondary.lastWal, secondary.merkleRoot())
    expect(missed?.map((e) => [e.index, e.key, e.value])).toEqual([
      [4, 'a', 10],
      [5, 'b', null],
      [6, 'd', 4],
    ])
    for (const entry of missed ?? []) secondary.apply(entry)
    expect([secondary.lastWal, secondary.merkleRoot()]).toEqual([primary.lastWal, primary.merkleRoot()])
  })

  it('is nothing for a secondary in step, and no resume for one with the same WAL number but other data', () => {
    const { primary, secondary } = pair()
    expect(primary.missedSince(3, secondary.merkleRoot())).toEqual([])
    primary.put('d', 4)
    const other = new ReplicatedStorage()
    other.put('x', 1)
    other.put('y', 2)
    other.put('z', 3)
    expect(other.lastWal).toBe(3)
    expect(primary.missedSince(3, other.merkleRoot())).toBeUndefined()
    // An activation's hello carries no root: always a full sync.
    expect(primary.missedSince(3, '')).toBeUndefined()
  })

  it('is no resume once the buffer no longer holds every WAL missed, or after it was dropped', () => {
    const small = pair(2)
    for (const value of [4, 5, 6]) small.primary.put('d', value)
    expect(small.primary.missedSince(3, small.secondary.merkleRoot())).toBeUndefined()
    const dropped = pair()
    dropped.primary.put('d', 4)
    dropped.primary.dropShipped()
    expect(dropped.primary.missedSince(3, dropped.secondary.merkleRoot())).toBeUndefined()
  })

  it('is no resume past a change the buffer did not see (a sync or a promote restarts it)', () => {
    const { primary, secondary } = pair()
    primary.restore({ lastWal: 3, entries: [['a', 1]] })
    primary.put('b', 2)
    primary.put('c', 3)
    // Same data as the secondary now, but not the same history: as of WAL 3 the primary held only a.
    expect(primary.merkleRoot()).toBe(secondary.merkleRoot())
    expect(primary.missedSince(3, secondary.merkleRoot())).toBeUndefined()
    const onlyA = new ReplicatedStorage()
    onlyA.restore({ lastWal: 3, entries: [['a', 1]] })
    expect(primary.missedSince(3, onlyA.merkleRoot())?.map((e) => e.key)).toEqual(['b', 'c'])
    primary.apply({ index: 6, key: 'd', value: 4 })
    expect(primary.missedSince(3, onlyA.merkleRoot())).toBeUndefined()
  })
})
