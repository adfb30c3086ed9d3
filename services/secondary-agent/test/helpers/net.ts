import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import tls from 'node:tls'
import { MIDDLEBOX_CERT_PEM, MIDDLEBOX_KEY_PEM } from './middlebox-cert.ts'

export interface LocalServer {
  port: number
  /** `https://127.0.0.1:<port>`, the Vault form of the address. */
  url: string
  close(): Promise<void>
}

/** Listens on 127.0.0.1 with an OS-picked port; close() also ends every connection still open. */
async function serve(server: Server): Promise<LocalServer> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `https://127.0.0.1:${port}`,
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

/** A layer-4 load balancer: pipes raw TCP to the target, so TLS stays end to end. */
export function startTcpProxy(target: { host: string; port: number }): Promise<LocalServer> {
  return serve(createServer((client) => pipeBoth(client, netConnect(target.port, target.host))))
}

/**
 * A TLS-terminating load balancer: presents its own certificate (no ALPN, like a generic ingress), then opens a
 * new TLS connection to the target and pipes the plaintext.
 */
export function startTlsTerminatingProxy(target: { host: string; port: number }): Promise<LocalServer> {
  const server = tls.createServer({ cert: MIDDLEBOX_CERT_PEM, key: MIDDLEBOX_KEY_PEM }, (client) => {
    const upstream = tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false })
    pipeBoth(client, upstream)
  })
  // Clients that give up mid-handshake are expected here.
  server.on('tlsClientError', () => {})
  return serve(server)
}

/** Accepts TCP connections and never says a word: a black hole for TLS handshakes and HTTP requests. */
export function startBlackHole(): Promise<LocalServer> {
  return serve(createServer(() => {}))
}

/** A port on 127.0.0.1 that was just bound and closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = await serve(createServer())
  await server.close()
  return server.port
}

export function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url)
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) }
}
