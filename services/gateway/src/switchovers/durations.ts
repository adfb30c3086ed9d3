import { z } from 'zod'

const DURATION = /^\d{1,6}(ms|s|m|h)$/

/** Milliseconds of a duration such as '500ms', '90s', '5m' or '1h'. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text)
  if (m === null) return Number.NaN
  const n = Number(m[1])
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000
}

/** A duration field bounded to [minMs, maxMs], named by its bounds in the error. */
export function boundedDuration(minMs: number, maxMs: number, example: string) {
  const show = (ms: number) =>
    ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`
  return z
    .string()
    .regex(DURATION, 'must be a duration such as "90s", "5m" or "1h"')
    .refine(
      (text) => !DURATION.test(text) || (durationMs(text) >= minMs && durationMs(text) <= maxMs),
      `must be between ${show(minMs)} and ${show(maxMs)}`,
    )
    .meta({ example })
}
