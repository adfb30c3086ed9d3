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
