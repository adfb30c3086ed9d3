import { describe, expect, it } from 'vitest'
import { pollUntil } from './poll.ts'

/** Runs pollUntil with a check that succeeds on its `n`th call, and gives the waits between calls. */
async function waitsUntil(n: number, opts: { intervalMs: number; backoffFromMs?: number }) {
  const at: number[] = []
  const value = await pollUntil(
    async () => {
      at.push(performance.now())
      return at.length === n ? 'done' : undefined
    },
    { timeoutMs: 10_000, ...opts },
  )
  return { value, waits: at.slice(1).map((t, i) => t - (at[i] as number)) }
}

describe('pollUntil', () => {
  it('checks at once, then every intervalMs', async () => {
    const { value, waits } = await waitsUntil(3, { intervalMs: 30 })
    expect(value).toBe('done')
    expect(waits).toHaveLength(2)
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(29)
  })

  it('with backoffFromMs, waits that long first and doubles up to intervalMs', async () => {
    const doubling = await waitsUntil(5, { intervalMs: 40, backoffFromMs: 10 })
    const floors = [10, 20, 40, 40]
    expect(doubling.waits).toHaveLength(4)
    for (const [i, w] of doubling.waits.entries()) expect(w).toBeGreaterThanOrEqual((floors[i] as number) - 1)
    // Without the backoff these two waits would take 2 s.
    const { waits } = await waitsUntil(3, { intervalMs: 1_000, backoffFromMs: 10 })
    expect(waits[0] as number).toBeGreaterThanOrEqual(9)
    expect((waits[0] as number) + (waits[1] as number)).toBeLessThan(500)
  })

  it('gives up at the deadline with undefined', async () => {
    const started = performance.now()
    const value = await pollUntil(async () => undefined, { timeoutMs: 50, intervalMs: 20, backoffFromMs: 5 })
    expect(value).toBeUndefined()
    expect(performance.now() - started).toBeGreaterThanOrEqual(49)
  })

  it('stops when the signal aborts', async () => {
    const controller = new AbortController()
    const polling = pollUntil(
      async () => {
        controller.abort(new Error('stopped'))
        return undefined
      },
      { timeoutMs: 10_000, intervalMs: 5, signal: controller.signal },
    )
    await expect(polling).rejects.toThrow('stopped')
  })
})
