/** What a benchmark hands back: table rows (figure, baseline, ratio, target, verdict) and free-form details. */

export interface Figure {
  value: number | null
  unit: string
  /** How the figure reads in the table, when more than value and unit (e.g. "12 345 req/s, p99 3 ms"). */
  text?: string
}

export interface Row {
  benchmark: string
  measured: Figure
  baseline: Figure | null
  /** measured / baseline, unless the row says otherwise in `ratioNote`. */
  ratio: number | null
  ratioNote?: string
  target: string
  /** "met", "missed by …", "info" (no target), "not run: …" or "error: …". */
  verdict: string
  details?: Record<string, unknown>
}

export interface BenchOutcome {
  name: string
  rows: Row[]
  notes: string[]
  details: Record<string, unknown>
  durationMs?: number
}

export function fig(value: number | null, unit: string, text?: string): Figure {
  return text === undefined ? { value, unit } : { value, unit, text }
}

export function ratioOf(measured: number | null, baseline: number | null): number | null {
  if (measured === null || baseline === null || !Number.isFinite(measured) || !Number.isFinite(baseline)) return null
  if (baseline === 0) return null
  return Math.round((measured / baseline) * 100) / 100
}

const fmt = (value: number, unit: string) => `${formatNumber(value)}${unit === '' ? '' : ` ${unit}`}`

/** Verdict for "value must be at most limit". */
export function atMost(value: number | null, limit: number, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'missed: no figure'
  if (value <= limit) return 'met'
  return `missed by ${fmt(value - limit, unit)} (${formatNumber(((value - limit) / limit) * 100)} % over)`
}

/** Verdict for "value must be at least limit". */
export function atLeast(value: number | null, limit: number, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'missed: no figure'
  if (value >= limit) return 'met'
  return `missed by ${fmt(limit - value, unit)} (${formatNumber(((limit - value) / limit) * 100)} % under)`
}

/** Verdict for "value must be within tolerance (a fraction) of expected". */
export function within(value: number | null, expected: number, tolerance: number, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'missed: no figure'
  const off = value - expected
  if (Math.abs(off) <= expected * tolerance) return 'met'
  const past = Math.abs(off) - expected * tolerance
  return `missed by ${fmt(past, unit)} (${off > 0 ? 'late' : 'early'}: ${formatNumber((off / expected) * 100)} % off)`
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  const rounded = Number(value.toFixed(digits))
  return rounded.toLocaleString('en-US', { maximumFractionDigits: digits })
}

export function formatFigure(f: Figure | null): string {
  if (f === null) return '—'
  if (f.text !== undefined) return f.text
  if (f.value === null) return '—'
  return fmt(f.value, f.unit)
}

/** A row for a benchmark that could not run, saying why. */
export function notRun(benchmark: string, target: string, why: string): Row {
  return { benchmark, measured: fig(null, ''), baseline: null, ratio: null, target, verdict: `not run: ${why}` }
}
