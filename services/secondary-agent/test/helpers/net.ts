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
