import { createServer } from 'node:net'

/** Every port this process handed out: the OS may hand a port it just got back to the next listen on port 0. */
const handedOut = new Set<number>()

/**
 * A port the OS just handed out on `host`, for a child process that must be told its port in advance; never one
 * handed out before in this process (two services of one stack told the same port would have one answer for both).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, host, resolve))
    const { port } = server.address() as { port: number }
    await new Promise<void>((resolve) => server.close(() => resolve()))
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
}
