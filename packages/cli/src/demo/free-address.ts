import { createServer } from 'node:net'

/** Whether host:port can be bound right now. */
export async function canListen(host: string, port: number): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

/** The wanted port when it is free on host, else one the OS picks; says which. */
export async function pickPort(host: string, wanted: number): Promise<{ port: number; wantedWasFree: boolean }> {
  if (await canListen(host, wanted)) return { port: wanted, wantedWasFree: true }
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return { port, wantedWasFree: false }
}
