import type { Server as HttpServer } from 'node:http'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'

/** Starts `server` on 127.0.0.1 with a port the OS picks, and returns that port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

/** Keeps track of a server's sockets so `closeServer` can end them, even ones a test left hanging. */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // TLS servers hand the raw socket to 'connection' too; that is the one to destroy.
  return sockets
}

/** Closes a server and destroys whatever connections are still open. */
export async function closeServer(server: Server, sockets?: Set<Socket>): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  for (const socket of sockets ?? []) socket.destroy()
  ;(server as Partial<HttpServer>).closeAllConnections?.()
  await closed
}

/** A port that was just in use on 127.0.0.1 and is now closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listenLocal(server)
  await closeServer(server)
  return port
}
