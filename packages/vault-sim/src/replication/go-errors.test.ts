import { describe, expect, it } from 'vitest'
import { goNetworkCause, timeoutError } from './go-errors.ts'

describe('goNetworkCause', () => {
  it("words node errors like Go's net and crypto/tls", () => {
    const err = (code: string) => Object.assign(new Error(`boom ${code}`), { code })
    expect(goNetworkCause(err('ECONNREFUSED'), '10.0.0.1', 8200)).toBe(
      'dial tcp 10.0.0.1:8200: connect: connection refused',
    )
    expect(goNetworkCause(timeoutError('dial'), '10.0.0.1', 8201)).toBe('dial tcp 10.0.0.1:8201: i/o timeout')
    expect(goNetworkCause(err('ECONNRESET'), '::1', 8201)).toBe('read tcp [::1]:8201: read: connection reset by peer')
    expect(goNetworkCause(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'h', 1)).toBe(
      'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    )
    expect(goNetworkCause(err('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL'), 'h', 1)).toBe(
      'remote error: tls: no application protocol',
    )
    expect(goNetworkCause(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'h', 1)).toBe(
      'remote error: tls: unknown certificate authority',
    )
    expect(goNetworkCause(new Error('plain'), 'h', 1)).toBe('plain')
  })
})
