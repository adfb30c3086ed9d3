import { readFileSync } from 'node:fs'
import { type AddressInfo, createServer, type Server } from 'node:net'

const SPAN = 12_000
const LOWEST = 1025
const HIGHEST = 65_535

/** The ports the kernel hands to a listen on port 0 and to outgoing connections; undefined where it cannot be read. */
function ephemeralRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    return Number.isInteger(low) && Number.isInteger(high) ? { low: low as number, high: high as number } : undefined
  } catch {
    return undefined
  }
}

/**
 * Ports outside the ephemeral range, below it where there is room, else above: one of them, once free, is taken only
 * by a listener. A port the kernel handed out for port 0 may meanwhile become the local port of any outgoing connection
 * on the machine, and a listener closed and reopened on it (a cluster stopped and started, a service killed and
 * restarted) then fails. Undefined where the range is unknown or leaves no room: port 0 is then the kernel's.
 */
export const STABLE_PORTS = ((range = ephemeralRange()) => {
  if (range === undefined) return undefined
  if (range.low - 1 - LOWEST >= SPAN) return { low: range.low - SPAN, high: range.low - 1 }
  if (HIGHEST - range.high >= SPAN) return { low: range.high + 1, high: range.high + SPAN }
  return undefined
})()

/** How many shares the stable ports are dealt into: one per process picking ports side by side. */
export const PORT_SHARES = 8

/**
 * The share (0 to PORT_SHARES - 1) of the stable ports this process picks from, when it picks side by side with others
 * on one machine (test workers): VAULT_SIM_PORT_SHARE, else vitest's VITEST_POOL_ID, a number from 1. Two processes with
 * different numbers never pick the same port, so neither takes one the other found free and is about to hand to a
 * child process. Undefined (every stable port) when neither is set.
 */
export function portShare(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env.VAULT_SIM_PORT_SHARE ?? env.VITEST_POOL_ID)
  return Number.isInteger(n) && n >= 1 ? (n - 1) % PORT_SHARES : undefined
}

function randomStablePort(ports: { low: number; high: number }): number {
  const share = portShare()
  if (share === undefined) return ports.low + Math.floor(Math.random() * (ports.high - ports.low + 1))
  const count = Math.floor((ports.high - ports.low - share) / PORT_SHARES) + 1
  return ports.low + share + PORT_SHARES * Math.floor(Math.random() * count)
}

/** Listens, or rejects with the listen's error; no handler is left on the server either way. */
function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const listening = () => {
      server.off('error', failed)
      resolve()
    }
    const failed = (err: Error) => {
      server.off('listening', listening)
      reject(err)
    }
    server.once('listening', listening)
    server.once('error', failed)
    server.listen(port, host)
  })
}

/**
 * Listens on host:port and answers the port listened on. Port 0 takes a free stable port, each tried by listening on
 * it (no other process can take it between a check and the listen); where there are none, or none could be had, the
 * kernel's choice.
 */
export async function listenStable(server: Server, host: string, port: number): Promise<number> {
  const ports = STABLE_PORTS
  if (port === 0 && ports !== undefined) {
    for (let tries = 0; tries < 50; tries++) {
      const candidate = randomStablePort(ports)
      try {
        await listenOn(server, host, candidate)
        return candidate
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EACCES') break
        if (code !== 'EADDRINUSE') throw err
      }
    }
  }
  await listenOn(server, host, port)
  return (server.address() as AddressInfo).port
}

/** A stable port free on `host` right now, for a process that must be told its port before it listens. */
export async function freeStablePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  const port = await listenStable(server, host, 0)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
