import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Every port this process handed out. */
const handedOut = new Set<number>()

/** The lowest port the kernel hands to a listen on port 0 or to an outgoing connection (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(low) && low > 2048 ? low : 32_768
  } catch {
    return 32_768
  }
}

const HIGH = ephemeralLow() - 1
const LOW = Math.max(1025, HIGH - 12_000)

function listens(port: number, host: string): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

/**
 * A free port on `host` for a child process that must be told its port in advance, never one handed out before in
 * this process. It lies below the kernel's ephemeral range: a service killed and restarted on it finds it free
 * again, where a port from that range may meanwhile be taken by any outgoing connection on the machine.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1))
    if (handedOut.has(port) || !(await listens(port, host))) continue
    handedOut.add(port)
    return port
  }
  throw new Error(`no free port on ${host} between ${LOW} and ${HIGH}`)
}
