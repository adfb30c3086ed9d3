import { z } from 'zod'

/** The claims of a DR activation token that are safe to show; `jti` is the wrapping token itself and never is. */
export const ActivationTokenClaims = z
  .object({
    addr: z.string().nullable().describe("The issuing primary's API address, where the secondary unwraps the token"),
    iat: z.number().int(),
    exp: z.number().int(),
    nbf: z.number().int().nullable(),
    type: z.string(),
    accessor: z.string().nullable(),
  })
  .meta({ id: 'ActivationTokenClaims' })
export type ActivationTokenClaims = z.infer<typeof ActivationTokenClaims>

/** Three base64url parts; length bounds keep absurd input out before any decoding. */
export const ActivationTokenString = z
  .string()
  .min(20)
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a JWT (three base64url parts)')

export type DecodeResult =
  | { ok: true; header: { alg: string; typ?: string }; claims: ActivationTokenClaims }
  | { ok: false; reason: string }

/**
 * Decodes (does not verify) an activation JWT: only the issuing cluster holds the key that signed it, so the
 * signature can be checked there alone (sys/wrapping/lookup).
 */
export function decodeActivationToken(token: string): DecodeResult {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1]?.[0] === '.') return { ok: false, reason: 'not a JWT: expected three parts' }
  const header = parseJsonPart(parts[0] ?? '')
  const payload = parseJsonPart(parts[1] ?? '')
  if (header === undefined || payload === undefined)
    return { ok: false, reason: 'not a JWT: a part is not base64url JSON' }
  if (typeof header.alg !== 'string') return { ok: false, reason: 'not a JWT: the header has no alg' }
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null)
  const iat = num(payload.iat)
  const exp = num(payload.exp)
  if (iat === null || exp === null) return { ok: false, reason: 'the token has no iat/exp claims' }
  if (payload.type !== 'wrapping') return { ok: false, reason: `unexpected type claim ${JSON.stringify(payload.type)}` }
  return {
    ok: true,
    header: { alg: header.alg, ...(typeof header.typ === 'string' ? { typ: header.typ } : {}) },
    claims: {
      addr: typeof payload.addr === 'string' && payload.addr !== '' ? payload.addr : null,
      iat,
      exp,
      nbf: num(payload.nbf),
      type: payload.type,
      accessor: typeof payload.accessor === 'string' ? payload.accessor : null,
    },
  }
}

function parseJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
