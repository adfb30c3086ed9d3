import { readFileSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startCluster } from '../cluster.ts'
import { freeStablePort, listenStable, STABLE_PORTS } from './stable-port.ts'

const servers: Server[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

const stable = () => {
  if (STABLE_PORTS === undefined) throw new Error('this machine has no stable ports (no ephemeral range read)')
  return STABLE_PORTS
}
const inStable = (port: number) => port >= stable().low && port <= stable().high

describe('stable ports', () => {
  it('lie outside the ephemeral range the kernel reports, twelve thousand of them', () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    const ports = stable()
    expect(ports.high < (low as number) || ports.low > (high as number)).toBe(true)
    expect(ports.high - ports.low + 1).toBe(12_000)
  })

  it('port 0 listens on one of them; a taken one is passed over', async () => {
    const taken = createServer()
    servers.push(taken)
    const takenPort = await listenStable(taken, '127.0.0.1', 0)
    expect(inStable(takenPort)).toBe(true)
    // The first pick falls on the taken port, the next on another.
    const span = stable().high - stable().low + 1
    vi.spyOn(Math, 'random')
      .mockReturnValueOnce((takenPort - stable().low + 0.5) / span)
      .mockReturnValueOnce(((takenPort - stable().low + 7) % span) / span + 0.1 / span)
    const next = createServer()
    servers.push(next)
    const port = await listenStable(next, '127.0.0.1', 0)
    expect(port).not.toBe(takenPort)
    expect(inStable(port)).toBe(true)
    // The failed try left no handler behind.
    expect([next.listenerCount('listening'), next.listenerCount('error')]).toEqual([0, 0])
  })

  it('a given port is listened on as is', async () => {
    const port = await freeStablePort()
    const server = createServer()
    servers.push(server)
    expect(await listenStable(server, '127.0.0.1', port)).toBe(port)
  })

  it('a cluster started on port 0 listens on stable ports and is back on both after a stop and a start', async () => {
    const c = await startCluster({ name: 'stable' })
    try {
      const [api, cluster] = [new URL(c.apiUrl), new URL(c.clusterUrl)]
      expect([api.port, cluster.port].map(Number).every(inStable)).toBe(true)
      await c.faults.stop()
      expect(await connects(cluster)).toBe(false)
      await c.faults.start()
      expect((await fetch(`${c.apiUrl}/v1/sys/health`)).status).toBeGreaterThan(0)
      expect(await connects(cluster)).toBe(true)
    } finally {
      await c.close()
    }
  })
})

function connects(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
