import { redactHeaderValues } from '../util/redact-header-values.ts'

export type NetworkFailureKind = 'refused' | 'timeout' | 'dns' | 'reset' | 'unreachable' | 'tls' | 'other'

export interface NetworkFailure {
  kind: NetworkFailureKind
  /** The system or library error code, e.g. ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT. */
  code: string
  /** The error's message, without a header value it quotes (a token). */
  detail: string
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
])

/** Tells refused, timed out, DNS, reset and TLS failures apart, looking through undici's wrapped causes. */
export function classifyNetworkError(err: unknown): NetworkFailure {
  let current: unknown = err
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const e = current as NodeJS.ErrnoException
    // A DOMException (AbortSignal.timeout's TimeoutError) has a numeric code; its name is what tells.
    const code = typeof e.code === 'string' ? e.code : e.name
    const kind = kindOf(code, e.message)
    if (kind !== 'other') return { kind, code, detail: redactHeaderValues(`${code}: ${e.message}`) }
    current = e.cause
  }
  const e = err as NodeJS.ErrnoException
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'UNKNOWN'
  return { kind: 'other', code, detail: redactHeaderValues(e?.message ?? String(err)) }
}

function kindOf(code: string, message: string): NetworkFailureKind {
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns'
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset'
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable'
  if (
    code === 'ETIMEDOUT' ||
    code === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ABORT_ERR'
  ) {
    return 'timeout'
  }
  if (
    TLS_CODES.has(code) ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    /certificate/i.test(message)
  ) {
    return 'tls'
  }
  return 'other'
}
