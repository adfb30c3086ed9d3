// Formats Node network errors the way Go's net/http and crypto/tls print them, because operators and
// our agents match on Vault's (Go) error texts, e.g. `dial tcp 10.0.0.1:8200: connect: connection refused`.

interface NodeNetError {
  code?: string
  message?: string
}

export function goNetworkCause(err: unknown, host: string, port: number): string {
  const { code = '', message = String(err) } = (err ?? {}) as NodeNetError
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`
    case 'ETIMEDOUT':
    case 'ERR_SIM_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`
    case 'EPROTO':
      return 'tls: first record does not look like a TLS handshake'
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${host}`
    default:
      if (/^ERR_SSL_TLSV1?3?_ALERT_/.test(code)) return `remote error: tls: ${alertText(code)}`
      return code && !message.includes(code) ? `${code}: ${message}` : message
  }
}

/** A timeout error carrying a code goNetworkCause understands. */
export function timeoutError(what: string): Error & { code: string } {
  return Object.assign(new Error(`${what} timed out`), { code: 'ERR_SIM_TIMEOUT' })
}

// ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED -> "certificate required" (Go's alert wording)
function alertText(code: string): string {
  const alert = code.replace(/^ERR_SSL_TLSV1?3?_ALERT_/, '')
  if (alert === 'UNKNOWN_CA') return 'unknown certificate authority'
  return alert.toLowerCase().replaceAll('_', ' ')
}
