import { createServer as createHttpServer, Agent as HttpAgent, request } from 'node:http'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'

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

export { startBlackHole, startTcpProxy, startTlsTerminatingProxy } from '@vault-dr/vault-sim'

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

export interface VaultGate {
  /** `http://127.0.0.1:<port>`: give it to an agent as its Vault address. */
  url: string
  /** How many requests to the gated path have arrived (held or let through). */
  readonly arrivals: number
  /** Resolves once `count` requests to the gated path have arrived. */
  arrived(count: number): Promise<void>
  /** Lets every held request (and every later one) through to Vault. */
  open(): void
  close(): Promise<void>
}

/**
 * A plain-HTTP proxy in front of a sim cluster's API that holds every request whose path starts with `pathPrefix`
 * until open(): a test keeps a Vault read in flight for as long as it needs, without relying on latency.
 */
export async function startVaultGate(target: string, pathPrefix: string): Promise<VaultGate> {
  const upstreamAgent = new HttpAgent({ keepAlive: false })
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  let arrivals = 0
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const server = createHttpServer(async (req, res) => {
    if (req.url?.startsWith(pathPrefix)) {
      arrivals += 1
      for (const w of waiters.filter((w) => w.count <= arrivals)) w.resolve()
      await opened
    }
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers, agent: upstreamAgent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  const local = await serve(server)
  return {
    url: `http://127.0.0.1:${local.port}`,
    get arrivals() {
      return arrivals
    },
    arrived: (count) =>
      count <= arrivals ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    open,
    close: async () => {
      open()
      await local.close()
      upstreamAgent.destroy()
    },
  }
}
