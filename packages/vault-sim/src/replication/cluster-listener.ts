import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import { DR_ALPN } from '../messages.ts'
import { listenStable } from '../net/stable-port.ts'
import type { HostPort } from '../options.ts'
import type { CertifiedKey } from './ca.ts'
import { offeredAlpn } from './client-hello.ts'

export interface ClusterListenerDeps {
  identity: CertifiedKey
  /** The replication CA that client certificates must chain to, while this cluster is a DR primary. */
  replicationCaPem: () => string | undefined
  /** Whether a handler for ALPN replication_dr_v1 exists right now (DR primary, unsealed, Enterprise). */
  servesDr: () => boolean
  onDrConnection: (socket: tls.TLSSocket) => void
  log: (line: string) => void
}

/**
 * A fatal internal_error alert in a TLS record, sent before any ServerHello: what Go's crypto/tls answers when the
 * listener's GetConfigForClient fails, as Vault's does for a ClientHello offering no ALPN it has a handler for.
 * Record version 0x0301 because no version is negotiated yet (Go writes TLS 1.0 then).
 */
const INTERNAL_ERROR_ALERT = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x50])

/**
 * The cluster port ("8201"): always listening, with mutual TLS required. Only ALPN replication_dr_v1 has a handler,
 * and only on a DR primary. As in Vault, the TLS configuration is chosen from the ClientHello's ALPN offer: with no
 * handler for any offered protocol (or no ALPN at all) the handshake fails at once with a TLS internal_error alert,
 * which Go clients print as "remote error: tls: internal error"; with one, the cluster's certificate is presented.
 */
export class ClusterListener {
  #deps: ClusterListenerDeps
  #address: HostPort
  /** Accepts TCP connections and reads each ClientHello before any TLS answer. */
  #listener: net.Server
  /** Runs the handshakes the ClientHello allows (never listens itself). */
  #server: tls.Server
  #sockets = new Set<Socket>()
  /** While set, new connections are accepted and never answered (a site that drops packets). */
  #silent = false
  #held = new Set<Socket>()

  constructor(deps: ClusterListenerDeps, address: HostPort) {
    this.#deps = deps
    this.#address = address
    this.#server = tls.createServer({
      // No replication CA yet: nothing can authenticate until refreshTrust() installs one.
      ...this.#secureContextOptions(undefined),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ALPNCallback: ({ protocols }) => this.#selectProtocol(protocols),
    })
    this.#listener = net.createServer((socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      socket.on('error', () => {})
      if (this.#silent) {
        socket.pause()
        this.#held.add(socket)
      } else this.#routeByClientHello(socket)
    })
    this.#server.on('secureConnection', (socket) => this.#onSecureConnection(socket))
    this.#server.on('tlsClientError', (err) =>
      deps.log(`cluster listener: handshake failed: ${err.message.split('\n')[0]}`),
    )
  }

  get address(): HostPort {
    return this.#address
  }

  get listening(): boolean {
    return this.#listener.listening
  }

  /** Listens on the configured address; the first call pins a port (a stable one for port 0) so reopening reuses it. */
  async listen(): Promise<void> {
    if (this.#listener.listening) return
    const port = await listenStable(this.#listener, this.#address.host, this.#address.port)
    this.#address = { host: this.#address.host, port }
  }

  /** Stops listening and drops every open connection, replication streams included. */
  async close(): Promise<void> {
    const closed = this.#listener.listening
      ? new Promise<void>((resolve) => this.#listener.close(() => resolve()))
      : Promise.resolve()
    for (const socket of this.#sockets) socket.destroy()
    await closed
  }

  /** Silent: connections are accepted and left unanswered until unsilenced, when they are closed. */
  silence(on: boolean): void {
    this.#silent = on
    if (on) return
    for (const socket of this.#held) socket.destroy()
    this.#held.clear()
  }

  /** Picks up a new replication CA (after enable/promote/disable). */
  refreshTrust(): void {
    this.#server.setSecureContext(this.#secureContextOptions(this.#deps.replicationCaPem()))
  }

  #secureContextOptions(replicationCaPem: string | undefined): tls.SecureContextOptions {
    const { certPem, keyPem } = this.#deps.identity
    // Without a replication CA nothing may authenticate; our own cert is a harmless placeholder pool.
    return { cert: certPem, key: keyPem, ca: replicationCaPem ?? certPem }
  }

  /** Hands the connection to the TLS server when a handler serves an offered ALPN; otherwise the alert, and close. */
  #routeByClientHello(socket: Socket): void {
    let received: Buffer = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      const offered = offeredAlpn(received)
      if (offered === undefined) return // the ClientHello's record is not complete yet
      socket.off('data', onData)
      socket.pause()
      socket.unshift(received)
      // Not a TLS ClientHello: the TLS server answers it as it answers any such client.
      if (offered !== null && this.#selectProtocol(offered) === undefined) socket.end(INTERNAL_ERROR_ALERT)
      else this.#server.emit('connection', socket)
    }
    socket.on('data', onData)
  }

  #selectProtocol(protocols: string[]): string | undefined {
    if (protocols.includes(DR_ALPN) && this.#deps.servesDr()) return DR_ALPN
    this.#deps.log(`cluster listener: no TLS config found for ALPN ${JSON.stringify(protocols)}`)
    return undefined
  }

  #onSecureConnection(socket: tls.TLSSocket): void {
    // The handler may have gone between the ClientHello and the end of the handshake (sealed, demoted).
    if (socket.alpnProtocol !== DR_ALPN || !this.#deps.servesDr()) {
      this.#deps.log('cluster listener: refused a connection without a replication ALPN')
      socket.destroy()
      return
    }
    this.#deps.onDrConnection(socket)
  }
}
