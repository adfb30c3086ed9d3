import { connect, createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startCluster } from '../cluster.ts'
import { freeStablePort, listenStable, STABLE_PORTS } from './stable-port.ts'

const servers: Server[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

const below = (port: number) => port >= STABLE_PORTS.low && port <= STABLE_PORTS.high

describe('stable ports', () => {
  it('lie below the ephemeral range', () => {
    expect(STABLE_PORTS.high).toBeLessThan(32_768)
    expect(STABLE_PORTS.high - STABLE_PORTS.low).toBeGreaterThan(5_000)
  })

  it('port 0 listens on one of them; a taken one is passed over', async () => {
    const taken = createServer()
    servers.push(taken)
    const takenPort = await listenStable(taken, '127.0.0.1', 0)
    expect(below(takenPort)).toBe(true)
    // The first pick falls on the taken port, the next on another.
    const span = STABLE_PORTS.high - STABLE_PORTS.low + 1
    vi.spyOn(Math, 'random')
      .mockReturnValueOnce((takenPort - STABLE_PORTS.low + 0.5) / span)
      .mockReturnValueOnce(((takenPort - STABLE_PORTS.low + 7) % span) / span + 0.1 / span)
    const next = createServer()
    servers.push(next)
    const port = await listenStable(next, '127.0.0.1', 0)
    expect(port).not.toBe(takenPort)
    expect(below(port)).toBe(true)
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
      expect([api.port, cluster.port].map(Number).every(below)).toBe(true)
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
