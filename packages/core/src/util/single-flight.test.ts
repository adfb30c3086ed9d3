import { describe, expect, it } from 'vitest'
import { singleFlight } from './single-flight.ts'

function counted<T>(values: T[]) {
  let calls = 0
  return {
    fn: async () => values[Math.min(calls++, values.length - 1)] as T,
    calls: () => calls,
  }
}

describe('singleFlight', () => {
  it('shares one call among concurrent callers', async () => {
    const upstream = counted(['a'])
    const flight = singleFlight(upstream.fn)
    expect(await Promise.all([flight.get(), flight.get(), flight.get()])).toEqual(['a', 'a', 'a'])
    expect(upstream.calls()).toBe(1)
  })

  it('reuses a result for maxAgeMs, and asks again after invalidate()', async () => {
    const upstream = counted(['a', 'b'])
    const flight = singleFlight(upstream.fn, 60_000)
    expect(await flight.get()).toBe('a')
    expect(await flight.get()).toBe('a')
    flight.invalidate()
    expect(await flight.get()).toBe('b')
    expect(upstream.calls()).toBe(2)
  })

  it('asks again when the caller allows no age', async () => {
    const upstream = counted(['a', 'b'])
    const flight = singleFlight(upstream.fn, 60_000)
    expect(await flight.get()).toBe('a')
    expect(await flight.get(0)).toBe('b')
  })

  it('does not reuse a result the predicate calls unsteady', async () => {
    const upstream = counted(['bootstrapping', 'stream-wals', 'later'])
    const flight = singleFlight(upstream.fn, 60_000, (state) => state === 'stream-wals')
    expect(await flight.get()).toBe('bootstrapping')
    expect(await flight.get()).toBe('stream-wals')
    expect(await flight.get()).toBe('stream-wals')
    expect(upstream.calls()).toBe(2)
  })

  it('reuses a remembered result like its own, unless the predicate calls it unsteady', async () => {
    const upstream = counted(['asked'])
    const flight = singleFlight(upstream.fn, 60_000, (state) => state !== 'bootstrapping')
    flight.remember('told')
    expect(await flight.get()).toBe('told')
    flight.remember('bootstrapping')
    expect(await flight.get()).toBe('asked')
    expect(upstream.calls()).toBe(1)
  })

  it('peeks at a reusable result without asking, and has none before, after invalidate() or past its age', async () => {
    const upstream = counted(['a', 'unsteady'])
    const flight = singleFlight(upstream.fn, 60_000, (state) => state !== 'unsteady')
    expect(flight.peek()).toBeUndefined()
    await flight.get()
    expect(flight.peek()).toBe('a')
    expect(flight.peek(0)).toBeUndefined()
    flight.invalidate()
    expect(flight.peek()).toBeUndefined()
    await flight.get()
    expect(flight.peek()).toBeUndefined()
    expect(upstream.calls()).toBe(2)
  })
})
