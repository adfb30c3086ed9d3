import { describe, expect, it } from 'vitest'
import { clusterHandshakeFix, networkCode, networkFix, untrustedFix } from './diagnoses.ts'

const ctx = { host: 'vault.example.com', port: 8201, timeoutMs: 3000 }

describe('diagnoses', () => {
  it.each([
    ['refused', 'CONNECTION_REFUSED'],
    ['timeout', 'TIMEOUT'],
    ['dns', 'DNS_FAILURE'],
    ['reset', 'CONNECTION_RESET'],
    ['unreachable', 'HOST_UNREACHABLE'],
    ['tls', 'TLS_HANDSHAKE_FAILED'],
    ['other', 'NETWORK_ERROR'],
  ] as const)('tells %s apart as %s, with a fix', (kind, code) => {
    expect(networkCode({ kind, code: 'X', detail: 'x' })).toBe(code)
    expect(networkFix(code, { ...ctx, side: 'api' })).toMatch(/\S/)
    expect(clusterHandshakeFix(code, { ...ctx, side: 'cluster' })).toMatch(/\S/)
  })

  it('names the ports, the deadline and the remedy', () => {
    expect(networkFix('TIMEOUT', { ...ctx, side: 'cluster' })).toContain('3000 ms')
    expect(networkFix('DNS_FAILURE', { ...ctx, side: 'api' })).toContain('vault.example.com does not resolve')
    expect(networkFix('CONNECTION_REFUSED', { ...ctx, side: 'cluster' })).toContain('cluster_addr')
    expect(clusterHandshakeFix('CONNECTION_RESET', { ...ctx, side: 'cluster' })).toContain('TCP passthrough on 8201')
    expect(clusterHandshakeFix('TLS_HANDSHAKE_FAILED', { ...ctx, side: 'cluster' })).toContain('active node')
    expect(untrustedFix('ERR_TLS_CERT_ALTNAME_INVALID', 'vault.example.com')).toContain('does not name')
    expect(untrustedFix('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'h')).toContain('ca_pem')
  })
})
