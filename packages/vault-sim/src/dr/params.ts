import { badRequest } from '../vault-error.ts'

export type Body = Record<string, unknown>

/** A string parameter; Vault's field parser also accepts numbers and booleans written as JSON. */
export function stringParam(body: Body, key: string): string {
  const value = body[key]
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw badRequest(`invalid value for ${key}: expected a string`)
}

export function boolParam(body: Body, key: string): boolean {
  const value = body[key]
  return value === true || value === 'true' || value === 1 || value === '1'
}

/** Vault durations: a number of seconds, or "300s" / "30m" / "8h" (also combined, e.g. "1h30m"). */
export function parseDurationSeconds(value: unknown, key: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value)
  if (typeof value === 'string') {
    const text = value.trim()
    if (/^\d+$/.test(text)) return Number(text)
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) {
      const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }
      return Math.floor(parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0))
    }
  }
  throw badRequest(`invalid duration for ${key}: ${JSON.stringify(value)}`)
}

/** Vault list parameters: a JSON array or a comma-separated string. */
export function listParam(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean)
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  return []
}
