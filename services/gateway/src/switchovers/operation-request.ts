import { createHash } from 'node:crypto'

/** Keys sorted at every level, so equal bodies hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** The hash an Idempotency-Key is bound to: the same key with another body is refused. */
export function bodyHash(kind: string, body: object): string {
  return createHash('sha256')
    .update(`${kind}\n${canonical(body)}`)
    .digest('hex')
}
