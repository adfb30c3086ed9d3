/**
 * Shares one call among concurrent callers, and reuses its result for `maxAgeMs` when `reusable(value)` says so,
 * so a status endpoint makes a bounded number of upstream calls however many clients poll it.
 */
export function singleFlight<T>(
  fn: () => Promise<T>,
  maxAgeMs = 0,
  reusable: (value: T) => boolean = () => true,
): {
  get(maxAge?: number): Promise<T>
  peek(maxAge?: number): T | undefined
  invalidate(): void
  remember(value: T): void
} {
  let inFlight: Promise<T> | undefined
  let cached: { value: T; at: number } | undefined
  // Not a method: callers pass get and peek around unbound.
  const peek = (maxAge = maxAgeMs) =>
    cached !== undefined && performance.now() - cached.at < maxAge ? cached.value : undefined
  return {
    get(maxAge = maxAgeMs) {
      const fresh = peek(maxAge)
      if (fresh !== undefined) return Promise.resolve(fresh)
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
    /** The reusable result, when one is fresh enough; never calls fn. */
    peek,
    invalidate() {
      cached = undefined
    },
    /** A result the caller got some other way (a change that returns the new state), reused like one of fn's. */
    remember(value) {
      cached = reusable(value) ? { value, at: performance.now() } : undefined
    },
  }
}
