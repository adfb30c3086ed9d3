import { setTimeout as sleep } from 'node:timers/promises'

export interface BackoffOptions {
  timeoutMs: number
  signal?: AbortSignal | undefined
  initialMs?: number
  maxMs?: number
  factor?: number
}

/**
 * Polls `check` until it returns a value or the deadline passes (then undefined): the first wait is short and each
 * next one longer, up to maxMs. Never sleeps past the deadline; an aborted signal rejects at once.
 */
export async function pollWithBackoff<T>(
  check: () => Promise<T | undefined>,
  opts: BackoffOptions,
): Promise<T | undefined> {
  const deadline = performance.now() + opts.timeoutMs
  let wait = opts.initialMs ?? 100
  for (;;) {
    opts.signal?.throwIfAborted()
    const value = await check()
    if (value !== undefined) return value
    const left = deadline - performance.now()
    if (left <= 0) return undefined
    await sleep(Math.min(wait, left), undefined, opts.signal ? { signal: opts.signal } : undefined)
    wait = Math.min(wait * (opts.factor ?? 1.6), opts.maxMs ?? 2_000)
  }
}
