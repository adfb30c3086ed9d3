/**
 * Shares one call among concurrent callers, and reuses its result for `maxAgeMs` when `reusable(value)` says so,
 * so a status endpoint makes a bounded number of upstream calls however many clients poll it.
 */
export function singleFlight<T>(
  fn: () => Promise<T>,
  maxAgeMs = 0,
  reusable: (value: T) => boolean = () => true,
): { get(maxAge?: number): Promise<T>; invalidate(): void; remember(value: T): void } {
  let inFlight: Promise<T> | undefined
  let cached: { value: T; at: number } | undefined
  return {
    get(maxAge = maxAgeMs) {
      if (cached !== undefined && performance.now() - cached.at < maxAge) return Promise.resolve(cached.value)
      if (inFlight === undefined) {
        inFlight = fn()
          .then((value) => {
            cached = reusable(value) ? { value, at: performance.now() } : undefined
            return value
          })
          .finally(() => {
            inFlight = undefined
          })
      }
      return inFlight
    },
    invalidate() {
      cached = undefined
    },
    /** A result the caller got some other way (a change that returns the new state), reused like one of fn's. */
    remember(value) {
      cached = reusable(value) ? { value, at: performance.now() } : undefined
    },
  }
}
