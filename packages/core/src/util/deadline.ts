/** Whoever runs with a deadline: the signal to pass on, and whether the deadline (not the caller) aborted it. */
export interface Deadline {
  signal: AbortSignal
  expired(): boolean
}

/**
 * Runs `fn` with a signal that aborts (TimeoutError) after `ms`, or when `signal` aborts. The timer is cleared as
 * soon as `fn` settles: AbortSignal.timeout() keeps its signal, and whatever listens to it, alive until it fires,
 * which for thousands of calls with long deadlines is a lot of memory held for nothing.
 */
export async function withDeadline<T>(
  ms: number,
  signal: AbortSignal | undefined,
  fn: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  const timer = new AbortController()
  const handle = setTimeout(
    () => timer.abort(new DOMException(`The operation was aborted due to timeout (${ms} ms)`, 'TimeoutError')),
    ms,
  )
  try {
    return await fn({
      signal: signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]),
      expired: () => timer.signal.aborted,
    })
  } finally {
    clearTimeout(handle)
  }
}
