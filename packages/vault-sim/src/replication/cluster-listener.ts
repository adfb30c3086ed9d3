import type { AddressInfo, Socket } from 'node:net'
import tls from 'node:tls'
import { DR_ALPN } from '../messages.ts'
import type { HostPort } from '../options.ts'
import type { CertifiedKey } from './ca.ts'

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
 * The cluster port ("8201"): always listening and always presenting the cluster's own certificate,
 * with mutual TLS required. Only ALPN replication_dr_v1 has a handler, and only on a DR primary;
 * every other offer fails the handshake, as Vault's listener does when no handler matches.
 */
export class ClusterListener {
  #deps: ClusterListenerDeps
  #address: HostPort
  #server: tls.Server
  #sockets = new Set<Socket>()

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
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
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
    return this.#server.listening
  }

  /** Listens on the configured address; the first call pins an ephemeral port so reopening reuses it. */
  async listen(): Promise<void> {
    if (this.#server.listening) return
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#address.port, this.#address.host, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#address = { host: this.#address.host, port: (this.#server.address() as AddressInfo).port }
  }

  /** Stops listening and drops every open connection, replication streams included. */
  async close(): Promise<void> {
    const closed = this.#server.listening
      ? new Promise<void>((resolve) => this.#server.close(() => resolve()))
      : Promise.resolve()
    for (const socket of this.#sockets) socket.destroy()
    await closed
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

  #selectProtocol(protocols: string[]): string | undefined {
    if (protocols.includes(DR_ALPN) && this.#deps.servesDr()) return DR_ALPN
    this.#deps.log(`cluster listener: no TLS config found for ALPN ${JSON.stringify(protocols)}`)
    return undefined
  }

  #onSecureConnection(socket: tls.TLSSocket): void {
    // A client that sent no ALPN extension never reaches the ALPN callback: refuse it here.
    if (socket.alpnProtocol !== DR_ALPN || !this.#deps.servesDr()) {
      this.#deps.log('cluster listener: refused a connection without a replication ALPN')
      socket.destroy()
      return
    }
    this.#deps.onDrConnection(socket)
  }
}
