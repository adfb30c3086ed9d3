import { describe, expect, it } from 'vitest'
import { withDeadline } from './deadline.ts'

const waitForAbort = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))

describe('withDeadline', () => {
  it('aborts with a TimeoutError once the time is up, and says the deadline did it', async () => {
    let expired = false
    const err = await withDeadline(20, undefined, async (d) => {
      await waitForAbort(d.signal).catch((e: unknown) => {
        expired = d.expired()
        throw e
      })
    }).catch((e: unknown) => e)
    expect((err as DOMException).name).toBe('TimeoutError')
    expect(expired).toBe(true)
  })

  it("aborts when the caller's signal does, which is not the deadline expiring", async () => {
    const caller = new AbortController()
    let expired: boolean | undefined
    const run = withDeadline(60_000, caller.signal, async (d) => {
      await waitForAbort(d.signal).catch((e: unknown) => {
        expired = d.expired()
        throw e
      })
    })
    caller.abort(new Error('stopping'))
    await expect(run).rejects.toThrow('stopping')
    expect(expired).toBe(false)
  })

  it('returns what fn returns, and its signal never aborts afterwards', async () => {
    let signal: AbortSignal | undefined
    expect(
      await withDeadline(10, undefined, async (d) => {
        signal = d.signal
        return 'done'
      }),
    ).toBe('done')
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(signal?.aborted).toBe(false)
  })
})
