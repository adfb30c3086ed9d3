/** Small statistics over samples; every function leaves its input alone. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = sorted(values)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p % of the samples at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const s = sorted(values)
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(rank, s.length) - 1]!
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values)
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values)
}

/** Rounds to `digits` decimals (default 1). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export interface Summary {
  n: number
  median: number
  p99: number
  min: number
  max: number
  samples: number[]
}

export function summarize(values: readonly number[], digits = 1): Summary {
  return {
    n: values.length,
    median: round(median(values), digits),
    p99: round(percentile(values, 99), digits),
    min: round(min(values), digits),
    max: round(max(values), digits),
    samples: values.map((v) => round(v, digits)),
  }
}
