import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeWorld } from './helpers/fake-agents.ts'
import { AUTH, createHandshake, registerPair, startGateway, tempDir, waitFor } from './helpers/gateway.ts'

const READ_TOKEN = 'gateway-read-token-0123456789'
const READ = { authorization: `Bearer ${READ_TOKEN}` }

describe('the gateway with a read-only token (VAULT_DR_READ_TOKEN)', () => {
  let tmp: { dir: string; cleanup: () => void }
  let gw: Awaited<ReturnType<typeof startGateway>>
  beforeEach(async () => {
    tmp = tempDir()
    const world = new FakeWorld()
    gw = await startGateway(
      join(tmp.dir, 'gw.sqlite'),
      { agents: world.clients() },
      { VAULT_DR_READ_TOKEN: READ_TOKEN },
    )
    await registerPair(gw.app)
  })
  afterEach(async () => {
    await gw.app.close()
    tmp.cleanup()
  })

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    gw.app.inject({ method, url, headers: READ, ...(payload === undefined ? {} : { payload }) })

  it('reads what the status page reads: clusters, operations, pairs, a failover, switchover and drill plan', async () => {
    // The pair made with the API token first: the plans then have a pair to plan for.
    const hs = await createHandshake(gw.app)
    expect((await waitFor(gw.app, hs.json().id)).state).toBe('succeeded')
    for (const url of ['/v1/clusters?live=false', '/v1/operations', '/v1/pairs', '/v1/handshakes']) {
      const res = await inject('GET', url)
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    }
    for (const url of ['/v1/failovers/plan', '/v1/switchovers/plan', '/v1/drills/plan']) {
      const res = await inject('POST', url, url === '/v1/drills/plan' ? { to: 'dc2', hold: '1m' } : { to: 'dc2' })
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    }
  })

  it('is refused every change with 403 CORE_ERR_READ_ONLY_TOKEN, and nothing changes', async () => {
    const changes: Array<['POST' | 'PUT' | 'DELETE', string, object?]> = [
      [
        'POST',
        '/v1/clusters',
        { name: 'dc3', role: 'secondary', agent_url: 'http://dc3:8420', agent_token: 'x'.repeat(20) },
      ],
      ['DELETE', '/v1/clusters/dc2'],
      ['POST', '/v1/handshakes', { primary: 'dc1', secondary: 'dc2' }],
      ['POST', '/v1/switchovers', { to: 'dc2' }],
      ['POST', '/v1/drills', { to: 'dc2', hold: '1m' }],
      ['POST', '/v1/failovers', { to: 'dc2' }],
      ['POST', '/v1/rejoins', { cluster: 'dc1' }],
      ['PUT', '/v1/pairs/dc2/auto-failover', { enabled: true }],
      ['POST', '/v1/pairs/dc2/dr-operation-token/rotate', {}],
    ]
    for (const [method, url, payload] of changes) {
      const res = await inject(method, url, payload)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json().code).toBe('CORE_ERR_READ_ONLY_TOKEN')
    }
    const clusters = await gw.app.inject({ method: 'GET', url: '/v1/clusters?live=false', headers: AUTH })
    expect(
      clusters
        .json()
        .clusters.map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(['dc1', 'dc2'])
    const operations = await gw.app.inject({ method: 'GET', url: '/v1/operations', headers: AUTH })
    expect(operations.json().operations).toEqual([])
    expect((await gw.app.inject({ method: 'GET', url: '/v1/pairs', headers: AUTH })).json().pairs).toEqual([])
    // Neither token appears in the gateway's log.
    const logged = JSON.stringify(gw.logs.lines)
    expect(logged).not.toContain(READ_TOKEN)
  })
})
