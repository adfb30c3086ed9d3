import { describe, expect, it } from 'vitest'
import { Slots } from './slots.ts'

describe('Slots', () => {
  it('runs at most `size` tasks at once, the rest in order of arrival', async () => {
    const slots = new Slots(2)
    let running = 0
    let peak = 0
    const order: number[] = []
    const releases: Array<() => void> = []
    const tasks = [0, 1, 2, 3].map((i) =>
      slots.run(async () => {
        running++
        peak = Math.max(peak, running)
        order.push(i)
        await new Promise<void>((resolve) => releases.push(resolve))
        running--
        return i
      }),
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([0, 1])
    while (releases.length > 0) {
      releases.shift()?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3])
    expect(order).toEqual([0, 1, 2, 3])
    expect(peak).toBe(2)
  })

  it('frees the slot when a task fails', async () => {
    const slots = new Slots(1)
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await slots.run(async () => 'next')).toBe('next')
  })
})
