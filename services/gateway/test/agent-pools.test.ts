import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AgentClients, createAgentClients } from '../src/agents/agent-clients.ts'
import { AUTH, register, startGateway, tempDir } from './helpers/gateway.ts'

const TOKEN_A = 'agent-token-first-0123456789'
const TOKEN_B = 'agent-token-second-0123456789'

const vault = {
  reachable: true,
  address: 'http://primary:8200',
  health_code: 200,
  initialized: true,
  sealed: false,
  version: '1.17.3+ent',
  enterprise: true,
  ha_role: 'active',
  cluster_name: 'primary',
  cluster_id: 'primary-local-id',
  dr_mode: 'disabled',
  error: null,
}

/**
 * A stand-in agent that asks clients to keep idle connections for ten minutes, so a connection that closes within a
 * test was closed by the client on purpose; /v1/probes/local answers only when the test says.
 */
async function fakeAgent() {
  const sockets = new Set<Socket>()
  const held: ServerResponse[] = []
  const server = createServer((req, res) => {
    if (req.url === '/v1/probes/local') {
      held.push(res)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ vault, replication: null, checked_at: new Date().toISOString() }))
  })
  server.keepAliveTimeout = 600_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return sockets.size
    },
    /** Answers the held probes. */
    answer() {
      for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{"checks":[]}')
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Waits (without a deadline of its own: the test's bounds it) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10)
}

let agent: Awaited<ReturnType<typeof fakeAgent>>
let clients: AgentClients
beforeEach(async () => {
  agent = await fakeAgent()
  clients = createAgentClients({ timeoutMs: 5_000 })
})
afterEach(async () => {
  await clients.close()
  await agent.close()
})

describe("a cluster's connection pool", () => {
  it('is closed once a re-registration with another token replaces it', async () => {
    await clients.primary({ cluster: 'dc1', url: agent.url, token: TOKEN_A }).status()
    expect(agent.connections).toBe(1)
    await clients.primary({ cluster: 'dc1', url: agent.url, token: TOKEN_B }).status()
    await until(() => agent.connections === 1)
  })

  it('lets a call in flight on a replaced pool finish, then closes it', async () => {
    const before = clients.primary({ cluster: 'dc1', url: agent.url, token: TOKEN_A })
    const probe = before.probeLocal()
    await until(() => agent.connections === 1)
    await clients.primary({ cluster: 'dc1', url: agent.url, token: TOKEN_B }).status()
    expect(agent.connections).toBe(2)
    agent.answer()
    await expect(probe).resolves.toEqual({ checks: [] })
    await until(() => agent.connections === 1)
  })

  it('still serves a client made before the re-registration, and closes what it used afterwards', async () => {
    const before = clients.secondary({ cluster: 'dc2', url: agent.url, token: TOKEN_A })
    await clients.secondary({ cluster: 'dc2', url: agent.url, token: TOKEN_B }).status()
    await until(() => agent.connections === 1)
    await expect(before.status()).resolves.toMatchObject({ replication: null })
    await until(() => agent.connections === 1)
  })

  it('is closed when the cluster is deleted', async () => {
    const tmp = tempDir()
    const gw = await startGateway(join(tmp.dir, 'gw.sqlite'), { agents: clients })
    try {
      await register(gw.app, 'leak-x', 'primary', agent.url, TOKEN_A)
      const live = await gw.app.inject({ method: 'GET', url: '/v1/clusters/leak-x', headers: AUTH })
      expect(live.json().agent, live.body).toMatchObject({ reachable: true })
      // Its status and its Vault token check are asked together: two connections of the cluster's pool.
      expect(agent.connections).toBe(2)
      const deleted = await gw.app.inject({ method: 'DELETE', url: '/v1/clusters/leak-x', headers: AUTH })
      expect(deleted.statusCode).toBe(204)
      await until(() => agent.connections === 0)
    } finally {
      await gw.app.close()
      tmp.cleanup()
    }
  })
})
