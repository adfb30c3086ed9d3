import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { buildApp as buildAgent } from '@vault-dr/primary-agent'
import { type ClusterHandle, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import {
  AUTH,
  LogCapture,
  PRIMARY_AGENT_TOKEN,
  register,
  startGateway,
  tempDir,
  until,
  waitFor,
} from '../../test/helpers/gateway.ts'
import { type AgentTarget, createAgentClients } from '../agents/agent-clients.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import { epochAgents } from './epoch-agents.ts'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {})
})

/** Clusters sharing one root token (the agents' Vault token stays valid on a cluster whatever its role), each with its agent. */
async function startWorld(names: string[]) {
  const tmp = tempDir('handshake-epochs-')
  closers.push(async () => tmp.cleanup())
  const rootToken = randomBytes(16).toString('hex')
  const clusters: Record<string, ClusterHandle> = {}
  const agentUrls: Record<string, string> = {}
  for (const name of names) {
    const c = await startCluster({ name, rootToken, timings: testTimings })
    closers.push(() => c.close())
    clusters[name] = c
    const agent = await buildAgent(
      {
        listen: { host: '127.0.0.1', port: 0 },
        api: { token: PRIMARY_AGENT_TOKEN, bodyLimit: 64 * 1024, logLevel: 'warn' },
        vault: { addr: c.apiUrl, token: rootToken, caPem: undefined, skipVerify: false, timeoutMs: 5_000 },
        agent: { statusCacheMs: 0, probeTimeoutMs: 1_000, waitTimeoutMs: 10_000 },
        stateDir: join(tmp.dir, `${name}-agent`),
      },
      { logStream: new LogCapture() },
    )
    agentUrls[name] = await agent.listen({ host: '127.0.0.1', port: 0 })
    closers.push(() => agent.close())
  }
  const clients = createAgentClients({ timeoutMs: 10_000 })
  closers.push(() => clients.close())
  const target = (name: string): AgentTarget => ({
    cluster: name,
    url: agentUrls[name] as string,
    token: PRIMARY_AGENT_TOKEN,
  })
  const agentEpoch = async (name: string) => (await clients.cluster(target(name)).status(undefined)).epoch
  /** A gateway on its own SQLite store (an injected store: the test reads its epoch). */
  async function gateway(file: string) {
    const store = new SqliteStore(join(tmp.dir, file))
    closers.push(() => store.close())
    const gw = await startGateway(join(tmp.dir, file), { agents: clients, store }, { VAULT_DR_FENCE_CHECK_MS: '200' })
    closers.push(() => gw.app.close())
    for (const name of names) {
      await register(
        gw.app,
        name,
        name === 'dc1' ? 'primary' : 'secondary',
        agentUrls[name] as string,
        PRIMARY_AGENT_TOKEN,
      )
    }
    return { ...gw, store }
  }
  return { clusters, clients, target, agentEpoch, gateway }
}

type Gateway = Awaited<ReturnType<Awaited<ReturnType<typeof startWorld>>['gateway']>>

async function handshake(gw: Gateway, primary: string, secondary: string) {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/v1/handshakes',
    headers: AUTH,
    payload: { primary, secondary },
  })
  expect(res.statusCode, res.body).toBe(202)
  return waitFor(gw.app, res.json<{ id: string }>().id, ['succeeded', 'failed', 'cancelled'], 30_000)
}

async function inject(gw: Gateway, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await gw.app.inject({ method, url, headers: AUTH, ...(payload === undefined ? {} : { payload }) })
  return { status: res.statusCode, json: res.json() as Record<string, unknown>, body: res.body }
}

/** dc1 lost (its whole site cut off), and a failover to dc2 through the gateway, the loss allowed. */
async function failOver(gw: Gateway, dc1: ClusterHandle) {
  expect((await inject(gw, 'POST', '/v1/pairs/dc2/dr-operation-token/rotate')).status).toBe(200)
  await dc1.faults.isolate('refuse')
  const body = { to: 'dc2', down_for: '1s', allow_data_loss: true }
  await until(
    async () => (await inject(gw, 'POST', '/v1/failovers/plan', body)).json.allowed === true,
    'the plan to allow the failover',
    20_000,
  )
  const created = await inject(gw, 'POST', '/v1/failovers', body)
  expect(created.status, created.body).toBe(202)
  const id = created.json.id as string
  let op: Record<string, unknown> = {}
  await until(
    async () => {
      op = (await inject(gw, 'GET', `/v1/operations/${id}`)).json
      return ['succeeded', 'failed', 'cancelled'].includes(op.state as string)
    },
    'the failover to end',
    60_000,
  )
  expect(op.state, JSON.stringify(op.error)).toBe('succeeded')
}

describe("the handshake's agent calls carry the fencing epoch", () => {
  it('a stale handshake call is refused after a failover raised the epoch; a handshake made after it succeeds, carrying it', async () => {
    const world = await startWorld(['dc1', 'dc2', 'dc3'])
    const gw = await world.gateway('gw.sqlite')
    expect((await handshake(gw, 'dc1', 'dc2')).state).toBe('succeeded')
    const before = await gw.store.currentEpoch()
    // A handshake taken before the failover, by a gateway that stalls through it: its agents carry the epoch of then.
    const stale = epochAgents(
      {
        primary: world.clients.primary(world.target('dc2')),
        secondary: world.clients.secondary(world.target('dc3')),
      },
      gw.store,
      before,
    )

    await failOver(gw, world.clusters.dc1 as ClusterHandle)
    const after = await gw.store.currentEpoch()
    expect(after).toBeGreaterThan(before)
    expect(await world.agentEpoch('dc2')).toBe(after)

    const refused = await stale.primary
      .mintToken({ secondary_id: 'dc3', ttl: '5m' }, undefined)
      .catch((err: unknown) => err)
    expect(refused).toMatchObject({
      code: 'GATEWAY_ERR_AGENT_REJECTED',
      upstream: { status: 409, code: 'AGENT_ERR_STALE_EPOCH' },
    })
    expect((refused as Error).message).toContain(`carries epoch ${before}; this agent has seen epoch ${after}`)
    // A stale call is not a store behind its agents: nothing raised.
    expect(await gw.store.currentEpoch()).toBe(after)

    // The new primary pairs with dc3 by an ordinary handshake: its calls carry the epoch the agents have seen.
    const made = await handshake(gw, 'dc2', 'dc3')
    expect(made.state, JSON.stringify(made.error)).toBe('succeeded')
    expect((world.clusters.dc3 as ClusterHandle).state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc3' })
    expect(await world.agentEpoch('dc3')).toBe(after)
    expect(await gw.store.currentEpoch()).toBe(after)
  })

  it("another pair's role change makes a running handshake's epoch stale: taken anew once its lease is proven, never without", async () => {
    const world = await startWorld(['dc1', 'dc2'])
    const gw = await world.gateway('gw.sqlite')
    const taken = await gw.store.currentEpoch()
    const resolved = {
      primary: world.clients.primary(world.target('dc1')),
      secondary: world.clients.secondary(world.target('dc2')),
    }
    // A switchover of some other pair raises the store's counter; a call under it reaches dc1's agent (another
    // handshake on dc1, a token rotation). Neither dc1 nor dc2 changed role.
    await gw.store.bumpEpoch()
    const now = await gw.store.bumpEpoch()
    await resolved.primary.enable(undefined, {}, { epoch: now })
    expect(await world.agentEpoch('dc1')).toBe(now)
    const mint = (agents: ReturnType<typeof epochAgents>) =>
      agents.primary.mintToken({ secondary_id: 'dc2', ttl: '5m' }, undefined).catch((err: unknown) => err)
    const minted = () => (world.clusters.dc1 as ClusterHandle).state().knownSecondaries

    // A process that lost its lease fails at the fenced write: its call is never made.
    const lost = new Error('lease lost: another gateway took the handshake over')
    const stalled = epochAgents(resolved, gw.store, taken, undefined, async () => {
      throw lost
    })
    expect(await mint(stalled)).toBe(lost)
    expect(minted()).not.toContain('dc2')

    // The lease still held: the call is made once more, under the counter as it is now.
    let proofs = 0
    const holding = epochAgents(resolved, gw.store, taken, undefined, async () => {
      proofs++
    })
    expect(await mint(holding)).toMatchObject({ secondary_id: 'dc2', token: expect.any(String) })
    expect(proofs).toBe(1)
    expect(minted()).toContain('dc2')
    expect(await world.agentEpoch('dc1')).toBe(now)
    expect(await gw.store.currentEpoch()).toBe(now)
  })

  it("a gateway on a replaced store (its epoch back at 0) raises its counter above the agents' and its handshake goes on", async () => {
    const world = await startWorld(['dc1', 'dc2', 'dc3'])
    const first = await world.gateway('first.sqlite')
    expect((await handshake(first, 'dc1', 'dc2')).state).toBe('succeeded')
    await failOver(first, world.clusters.dc1 as ClusterHandle)
    const seen = (await world.agentEpoch('dc2')) ?? 0
    expect(seen).toBeGreaterThan(0)
    await first.app.close()

    // A new, empty store: dc2 registered as the primary it is now.
    const fresh = await world.gateway('replaced.sqlite')
    expect(await fresh.store.currentEpoch()).toBe(0)
    const res = await inject(fresh, 'POST', '/v1/clusters', {
      name: 'dc2',
      role: 'primary',
      agent_url: world.target('dc2').url,
      agent_token: PRIMARY_AGENT_TOKEN,
    })
    expect(res.status, res.body).toBe(200)
    // Epoch 0 is stale for dc2's agent, which has seen the failover's.
    const plain = await world.clients
      .primary(world.target('dc2'))
      .enable(undefined, {}, { epoch: 0 })
      .catch((err: unknown) => err)
    expect(plain).toMatchObject({ upstream: { code: 'AGENT_ERR_STALE_EPOCH' } })

    // The handshake's first change is refused so; the gateway raises its counter above dc2's epoch and goes on.
    const made = await handshake(fresh, 'dc2', 'dc3')
    expect(made.state, JSON.stringify(made.error)).toBe('succeeded')
    expect((world.clusters.dc3 as ClusterHandle).state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc3' })
    expect(await fresh.store.currentEpoch()).toBe(seen + 1)
    expect(await world.agentEpoch('dc2')).toBe(seen + 1)
    expect(await world.agentEpoch('dc3')).toBe(seen + 1)
    expect(fresh.logs.lines.some((l) => String(l.msg).includes('fencing epoch raised'))).toBe(true)
  })
})
