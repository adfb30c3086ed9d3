import { setTimeout as sleep } from 'node:timers/promises'

/** Polls until `check` returns a value, or gives up at the deadline; no fixed sleeps where a condition will do. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  {
    timeoutMs,
    intervalMs = 100,
    backoffFromMs,
    signal,
  }: {
    timeoutMs: number
    intervalMs?: number
    /**
     * The first wait, doubled after each check up to intervalMs: a change that usually lands within a few ms (a role
     * change settling, a re-pointed secondary streaming) is seen soon after it does, while a long wait still checks
     * only every intervalMs.
     */
    backoffFromMs?: number
    signal?: AbortSignal
  },
): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs
  let waitMs = Math.min(backoffFromMs ?? intervalMs, intervalMs)
  for (;;) {
    signal?.throwIfAborted()
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() >= deadline) return undefined
    await sleep(Math.min(waitMs, Math.max(0, deadline - performance.now())))
    waitMs = Math.min(waitMs * 2, intervalMs)
  }
}
