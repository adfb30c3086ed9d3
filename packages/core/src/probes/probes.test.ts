import { X509Certificate } from 'node:crypto'
import { createServer as createNetServer, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../../test/helpers/certs.ts'
import { closedPort, closeServer, listenLocal, trackSockets } from '../../test/helpers/net.ts'
import { classifyNetworkError } from './classify-network-error.ts'
import { parseVaultAddress } from './parse-address.ts'
import { probeTcp } from './tcp-probe.ts'
import { DR_REPLICATION_ALPN, normalizeFingerprint, probeTls } from './tls-probe.ts'

const servers: Array<{ server: Server; sockets: ReturnType<typeof trackSockets> }> = []
async function start(server: Server): Promise<number> {
  servers.push({ server, sockets: trackSockets(server) })
  return listenLocal(server)
}
afterAll(async () => {
  await Promise.all(servers.map(({ server, sockets }) => closeServer(server, sockets)))
})

const HOST = '127.0.0.1'

describe('probeTcp', () => {
  it('connects to a listening port', async () => {
    const port = await start(createNetServer((socket) => socket.end()))
    const result = await probeTcp({ host: HOST, port, timeoutMs: 2000 })
    expect(result.ok).toBe(true)
    expect(result.latency_ms).toBeGreaterThanOrEqual(0)
    expect(result.latency_ms).toBeLessThan(2000)
  })

  it('reports a closed port as refused, fast', async () => {
    const port = await closedPort()
    const started = performance.now()
    const result = await probeTcp({ host: HOST, port, timeoutMs: 5000 })
    // Refused, not timed out: sooner than the 5 s timeout would end it.
    expect(performance.now() - started).toBeLessThan(4_000)
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused', code: 'ECONNREFUSED' } })
  })
})

describe('probeTls', () => {
  let pki: TestPki
  let serverFingerprint: string
  let drPort: number
  let plainTlsPort: number
  let silentPort: number

  beforeAll(async () => {
    pki = await createTestPki({ commonName: 'vault-cluster' })
    serverFingerprint = normalizeFingerprint(new X509Certificate(pki.server.certPem).fingerprint256)
    // Like Vault's cluster port: speaks replication ALPN and wants a client certificate the probe does not have.
    drPort = await start(
      createTlsServer({
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        ca: pki.ca.certPem,
        ALPNProtocols: [DR_REPLICATION_ALPN],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
      }),
    )
    plainTlsPort = await start(
      createTlsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (socket) => socket.end()),
    )
    // Accepts the TCP connection and then says nothing, ever.
    silentPort = await start(createNetServer(() => {}))
  })

  it('reads the certificate and the negotiated ALPN of a DR cluster port that wants a client cert', async () => {
    const result = await probeTls({ host: HOST, port: drPort, timeoutMs: 2000, alpn: [DR_REPLICATION_ALPN] })
    if (!result.ok) throw new Error(`probe failed: ${result.failure.detail}`)
    expect(result.alpn).toBe('replication_dr_v1')
    expect(result.fingerprint_sha256).toBe(serverFingerprint)
    expect(result.fingerprint_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(result.subject).toBe('vault-cluster')
    // The chain is not checked against any CA here: the probe reports, it does not trust.
    expect(result.authorized).toBe(false)
    expect(result.authorization_error).not.toBeNull()
  })

  it('reports the chain as verified when given the CA', async () => {
    const result = await probeTls({ host: HOST, port: plainTlsPort, timeoutMs: 2000, caPem: pki.ca.certPem })
    expect(result).toMatchObject({ ok: true, authorized: true, authorization_error: null })
  })

  it('reports alpn null when the server negotiates none', async () => {
    const result = await probeTls({ host: HOST, port: plainTlsPort, timeoutMs: 2000, alpn: [DR_REPLICATION_ALPN] })
    expect(result).toMatchObject({ ok: true, alpn: null, fingerprint_sha256: serverFingerprint })
  })

  it('times out within the deadline on a server that never speaks TLS', async () => {
    const started = performance.now()
    const result = await probeTls({ host: HOST, port: silentPort, timeoutMs: 250, alpn: [DR_REPLICATION_ALPN] })
    const elapsed = performance.now() - started
    expect(result).toMatchObject({ ok: false, failure: { kind: 'timeout', code: 'ETIMEDOUT' } })
    expect(elapsed).toBeGreaterThanOrEqual(240)
    expect(elapsed).toBeLessThan(5_000)
  })

  it('reports a closed port as refused', async () => {
    const result = await probeTls({ host: HOST, port: await closedPort(), timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused' } })
  })

  it('reports a plain TCP server that hangs up as a failure, not a success', async () => {
    const port = await start(createNetServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')))
    const result = await probeTls({ host: HOST, port, timeoutMs: 2000 })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(['tls', 'reset']).toContain(result.failure.kind)
  })
})

describe('normalizeFingerprint', () => {
  it('gives lower-case hex without colons', () => {
    expect(normalizeFingerprint('AB:CD:0F')).toBe('abcd0f')
  })
})

describe('classifyNetworkError', () => {
  const errno = (code: string, message = code) => Object.assign(new Error(message), { code })

  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
  ])('classifies %s as %s', (code, kind) => {
    const result = classifyNetworkError(errno(code, `something ${code}`))
    expect(result).toEqual({ kind, code, detail: `${code}: something ${code}` })
  })

  it('looks through the causes undici wraps errors in', () => {
    const wrapped = new TypeError('fetch failed', { cause: errno('ENOTFOUND', 'getaddrinfo ENOTFOUND vault.invalid') })
    expect(classifyNetworkError(wrapped)).toMatchObject({ kind: 'dns', code: 'ENOTFOUND' })
  })

  it('classifies an AbortSignal timeout, whose code is a number, as a timeout', () => {
    const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    expect(classifyNetworkError(reason)).toMatchObject({ kind: 'timeout', code: 'TimeoutError' })
    const aborted = new DOMException('This operation was aborted', 'AbortError')
    expect(classifyNetworkError(aborted)).toMatchObject({ kind: 'other', code: 'AbortError' })
  })

  it('calls a certificate message a TLS failure, and anything else other', () => {
    expect(classifyNetworkError(new Error('unable to get local issuer certificate')).kind).toBe('tls')
    expect(classifyNetworkError(errno('EWHATEVER', 'odd'))).toEqual({ kind: 'other', code: 'EWHATEVER', detail: 'odd' })
    expect(classifyNetworkError('a string')).toMatchObject({ kind: 'other', detail: 'a string' })
  })
})

describe('parseVaultAddress', () => {
  it('splits host and port', () => {
    const parsed = parseVaultAddress('https://vault.example.com:8200', 8201)
    expect(parsed).toMatchObject({ host: 'vault.example.com', port: 8200 })
    expect(parsed.url.protocol).toBe('https:')
  })

  it('uses the default port when none is given', () => {
    expect(parseVaultAddress('https://10.0.0.5', 8201)).toMatchObject({ host: '10.0.0.5', port: 8201 })
    expect(parseVaultAddress('http://vault/v1/sys/health', 8200)).toMatchObject({ host: 'vault', port: 8200 })
  })

  it("keeps a port written out even when it is the scheme's own", () => {
    expect(parseVaultAddress('https://vault.example.com:443', 8200)).toMatchObject({ port: 443 })
    expect(parseVaultAddress('http://vault.example.com:80/', 8200)).toMatchObject({ port: 80 })
    expect(parseVaultAddress('https://[::1]:443', 8200)).toMatchObject({ host: '::1', port: 443 })
    expect(parseVaultAddress('https://[::1]', 8201)).toMatchObject({ host: '::1', port: 8201 })
  })

  it('unwraps an IPv6 literal', () => {
    expect(parseVaultAddress('https://[::1]:8201', 8200)).toMatchObject({ host: '::1', port: 8201 })
  })

  it('reads an address without a scheme, as Vault does for cluster_addr', () => {
    expect(parseVaultAddress('10.0.0.1:8201', 8200)).toMatchObject({ host: '10.0.0.1', port: 8201 })
    expect(parseVaultAddress('vault-0:8201', 8200)).toMatchObject({ host: 'vault-0', port: 8201 })
    expect(parseVaultAddress('vault-0', 8201)).toMatchObject({ host: 'vault-0', port: 8201 })
  })

  it('throws on something that is not a URL', () => {
    expect(() => parseVaultAddress('not a url', 8200)).toThrow()
    expect(() => parseVaultAddress('', 8200)).toThrow()
  })
})
