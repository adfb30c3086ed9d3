import { connect } from 'node:tls'
import { classifyNetworkError, type NetworkFailure } from './classify-network-error.ts'
import { type ProbeTarget, timeoutFailure } from './tcp-probe.ts'

/** Vault's ALPN protocol for DR replication on the cluster port. */
export const DR_REPLICATION_ALPN = 'replication_dr_v1'

/**
 * A TLS handshake offering replication_dr_v1 was refused because nothing serves that protocol there. Vault's cluster
 * listener picks its TLS configuration from the ALPN offer and, with no handler (not a DR primary yet, sealed, or a
 * standby node), fails the handshake with an internal_error alert ("remote error: tls: internal error" in Go). A
 * server refusing the protocol through ALPN negotiation (no_application_protocol) does not serve it either.
 */
export function refusedReplicationProtocol(failure: NetworkFailure): boolean {
  return (
    failure.kind === 'tls' &&
    (failure.code.endsWith('_ALERT_INTERNAL_ERROR') || failure.code.endsWith('_ALERT_NO_APPLICATION_PROTOCOL'))
  )
}

export interface TlsProbeOptions extends ProbeTarget {
  alpn?: string[]
  /** Verify the chain against this CA (API port); the cluster port's cert is Vault-generated, so it is not. */
  caPem?: string | undefined
  verify?: boolean
  servername?: string
}

export type TlsProbeResult =
  | {
      ok: true
      latency_ms: number
      fingerprint_sha256: string
      alpn: string | null
      authorized: boolean
      authorization_error: string | null
      subject: string
    }
  | { ok: false; latency_ms: number; failure: NetworkFailure }

/**
 * Runs a TLS handshake and reports what the server presented. Under TLS 1.3 the client sees the server's
 * certificate and the negotiated ALPN even when the server then rejects it for lacking a client certificate,
 * which is how a cert-less probe can read Vault's cluster listener.
 */
export function probeTls(opts: TlsProbeOptions): Promise<TlsProbeResult> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  return new Promise((resolve) => {
    const socket = connect({
      host: opts.host,
      port: opts.port,
      ...(opts.alpn === undefined ? {} : { ALPNProtocols: opts.alpn }),
      ...(opts.caPem === undefined ? {} : { ca: opts.caPem }),
      rejectUnauthorized: false,
      servername: opts.servername ?? (isIp(opts.host) ? '' : opts.host),
    })
    let settled = false
    const finish = (result: TlsProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ ok: false, latency_ms: elapsed(), failure: timeoutFailure(opts.timeoutMs) }),
      opts.timeoutMs,
    )
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate()
      finish({
        ok: true,
        latency_ms: elapsed(),
        fingerprint_sha256: normalizeFingerprint(cert.fingerprint256 ?? ''),
        alpn: socket.alpnProtocol || null,
        authorized: socket.authorized,
        authorization_error: socket.authorizationError ? String(socket.authorizationError) : null,
        subject: String(cert.subject?.CN ?? ''),
      })
    })
    socket.once('error', (err) => finish({ ok: false, latency_ms: elapsed(), failure: classifyNetworkError(err) }))
    socket.once('close', () =>
      finish({
        ok: false,
        latency_ms: elapsed(),
        failure: { kind: 'reset', code: 'ECONNRESET', detail: 'the connection closed during the TLS handshake' },
      }),
    )
  })
}

/** Lower-case hex without separators, the form `sha256sum` and `openssl x509 -fingerprint` users compare. */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toLowerCase()
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
