import { randomUUID } from 'node:crypto'
import type { WrapInfo } from '../wrapping/wrapping-store.ts'

export interface EnvelopeParts {
  data?: unknown
  warnings?: string[] | undefined
  wrapInfo?: WrapInfo | undefined
  auth?: unknown
}

/** Vault's success envelope, fields in Vault's order. */
export function envelope(parts: EnvelopeParts = {}) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: parts.data ?? null,
    wrap_info: parts.wrapInfo ?? null,
    warnings: parts.warnings?.length ? parts.warnings : null,
    auth: parts.auth ?? null,
    // Modern Vault adds it to the logical envelope (P7, D15).
    mount_type: '',
  }
}

/** Request bodies are optional and may be any JSON; handlers read parameters from an object. */
export function bodyOf(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
}
