import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import tls from 'node:tls'
import { createCertificateAuthority } from './replication/ca.ts'

/** A network box placed between clusters in tests: a load balancer, an ingress, a firewall that drops. */
export interface Middlebox {
  host: string
  port: number
  /** `https://<host>:<port>`, the Vault form of the address. */
  url: string
  /** How many connections it has accepted so far. */
  connections(): number
  close(): Promise<void>
}

async function serve(server: Server, host: string): Promise<Middlebox> {
  const sockets = new Set<Socket>()
  let accepted = 0
  server.on('connection', (socket: Socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    host,
    port,
    url: `https://${host}:${port}`,
    connections: () => accepted,
    close: async () => {
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b)
  b.pipe(a)
  a.on('error', () => b.destroy())
  b.on('error', () => a.destroy())
  a.on('close', () => b.destroy())
  b.on('close', () => a.destroy())
}

type Target = { host: string; port: number }

/** A layer-4 load balancer: pipes raw TCP to the target, so TLS (and mutual TLS) stays end to end. */
export function startTcpProxy(target: Target, host = '127.0.0.1'): Promise<Middlebox> {
  return serve(
    createServer((client) => pipeBoth(client, netConnect(target.port, target.host))),
    host,
  )
}

/**
 * A TLS-terminating load balancer or ingress: presents a certificate of its own (made fresh, no ALPN, like a
 * generic HTTPS ingress), opens a new TLS connection to the target and pipes the plaintext between them.
 */
export async function startTlsTerminatingProxy(target: Target, host = '127.0.0.1'): Promise<Middlebox> {
  const { certPem, keyPem } = await createCertificateAuthority('tls-terminating-middlebox')
  const server = tls.createServer({ cert: certPem, key: keyPem }, (client) => {
    const upstream = tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false })
    pipeBoth(client, upstream)
  })
  // Clients that give up mid-handshake are expected here.
  server.on('tlsClientError', () => {})
  return serve(server, host)
}

/** Accepts TCP connections and never says a word: a black hole for TLS handshakes and HTTP requests. */
export function startBlackHole(host = '127.0.0.1'): Promise<Middlebox> {
  return serve(
    createServer(() => {}),
    host,
  )
}
