import { readFileSync } from 'node:fs'
import { type AddressInfo, createServer, type Server } from 'node:net'

/** The lowest port the kernel hands to a listen on port 0 or to an outgoing connection (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(low) && low > 2048 ? low : 32_768
  } catch {
    return 32_768
  }
}

/**
 * Ports below the ephemeral range: one of them, once free, stays free until someone listens on it. A port the kernel
 * handed out for port 0 may meanwhile become the local port of any outgoing connection on the machine, and a
 * listener closed and reopened on it (a cluster stopped and started, a service killed and restarted) then fails.
 */
export const STABLE_PORTS = (() => {
  const high = ephemeralLow() - 1
  return { low: Math.max(1025, high - 12_000), high }
})()

export function randomStablePort(): number {
  return STABLE_PORTS.low + Math.floor(Math.random() * (STABLE_PORTS.high - STABLE_PORTS.low + 1))
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Listens on host:port; port 0 takes a free port among the stable ones (each taken by listening on it, so no other
 * process can take it between a check and the listen). Answers the port listened on.
 */
export async function listenStable(server: Server, host: string, port: number): Promise<number> {
  if (port !== 0) {
    await listenOn(server, host, port)
    return (server.address() as AddressInfo).port
  }
  for (let tries = 0; ; tries++) {
    const candidate = randomStablePort()
    try {
      await listenOn(server, host, candidate)
      return candidate
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if ((code !== 'EADDRINUSE' && code !== 'EACCES') || tries >= 200) throw err
    }
  }
}

/** A stable port free on `host` right now, for a process that must be told its port before it listens. */
export async function freeStablePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  const port = await listenStable(server, host, 0)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
