/**
 * Shares one call among concurrent callers, and reuses its result for `maxAgeMs`, so a status endpoint makes a
 * bounded number of upstream calls however many clients poll it.
 */
export function singleFlight<T>(fn: () => Promise<T>, maxAgeMs = 0): { get(): Promise<T>; invalidate(): void } {
  let inFlight: Promise<T> | undefined
  let cached: { value: T; at: number } | undefined
  return {
    get() {
      if (cached !== undefined && performance.now() - cached.at < maxAgeMs) return Promise.resolve(cached.value)
      if (inFlight === undefined) {
        inFlight = fn()
          .then((value) => {
            cached = { value, at: performance.now() }
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
  }
}
