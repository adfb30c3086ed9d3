import { setTimeout as sleep } from 'node:timers/promises'

/** Polls until `check` returns a value, or gives up at the deadline; no fixed sleeps where a condition will do. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 100, signal }: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    signal?.throwIfAborted()
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() >= deadline) return undefined
    await sleep(Math.min(intervalMs, Math.max(0, deadline - performance.now())))
  }
}
