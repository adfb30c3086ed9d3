/** Whoever runs with a deadline: the signal to pass on, and whether the deadline (not the caller) aborted it. */
export interface Deadline {
  signal: AbortSignal
  expired(): boolean
}

/**
 * Runs `fn` with a signal that aborts (TimeoutError) after `ms`, or when `signal` aborts. The timer is cleared as
 * soon as `fn` settles: AbortSignal.timeout() keeps its signal, and whatever listens to it, alive until it fires,
 * which for thousands of calls with long deadlines is a lot of memory held for nothing.
 *
 * When the timer fires, the deadline waits for one pass of the event loop's I/O before it aborts. A process that was
 * stalled (SIGSTOP, a long GC pause, a starved CPU) runs its overdue timers before it reads the sockets that became
 * readable meanwhile: without that pass, an answer that arrived in time would be taken for a late one.
 */
export async function withDeadline<T>(
  ms: number,
  signal: AbortSignal | undefined,
  fn: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  const timer = new AbortController()
  let afterIo: NodeJS.Immediate | undefined
  const handle = setTimeout(() => {
    // Timers run before the poll phase and immediates after it: by then what had arrived has been read.
    afterIo = setImmediate(() =>
      timer.abort(new DOMException(`The operation was aborted due to timeout (${ms} ms)`, 'TimeoutError')),
    )
  }, ms)
  try {
    return await fn({
      signal: signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]),
      expired: () => timer.signal.aborted,
    })
  } finally {
    clearTimeout(handle)
    clearImmediate(afterIo)
  }
}
