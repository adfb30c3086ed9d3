/**
 * The leases this process runs operations under, each with the moment (monotonic) its run must have stopped by. A run
 * stops itself on a timer, but a process that was frozen (SIGSTOP, a stalled host; not a suspended machine, whose
 * monotonic clock stops too) handles the answers that waited for it before its overdue timers: the step those answers
 * resume would act on a cluster before the timer said the lease was gone. Every agent call therefore ends the runs
 * whose lease ran out first (endRunsPastTheirLease), synchronously, so that a call made under such a run's signal is
 * not sent.
 */
const watched = new Set<WatchedLease>()

interface WatchedLease {
  /** performance.now() by which the run must have stopped. */
  stopBy: number
  end(): void
}

/** Watches one run's lease until `release`; `extend` moves its stop time after an acknowledged renewal. */
export function watchLease(stopBy: number, end: () => void) {
  const lease: WatchedLease = { stopBy, end }
  watched.add(lease)
  return {
    extend(to: number) {
      lease.stopBy = to
    },
    release() {
      watched.delete(lease)
    },
  }
}

/** Ends, now, every run whose lease ran out (its stop time passed) though its timer has not fired yet. */
export function endRunsPastTheirLease(now = performance.now()): void {
  for (const lease of watched) {
    if (now < lease.stopBy) continue
    watched.delete(lease)
    lease.end()
  }
}

/**
 * Before a run acts outside its fenced writes (an agent call, a hook, a write of another record): ends the runs whose
 * lease ran out, then throws the run's signal reason if it is one of them (or was stopped otherwise).
 */
export function stopIfPastLease(signal: AbortSignal | undefined): void {
  endRunsPastTheirLease()
  signal?.throwIfAborted()
}
