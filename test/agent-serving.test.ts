import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { App, CodedError } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent, type PrimaryAgentConfig } from '@vault-dr/primary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { SLOW_READ_MS } from '../packages/core/src/agent/serving/serving-gate.ts'
import { createAgentClients } from '../services/gateway/src/agents/agent-clients.ts'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { activateDirectly, agentEnv, until, useClusterFixture } from './helpers/cluster-fixture.ts'
import { startVaultGate } from './helpers/vault-gate.ts'

/*
 * The load balancers' check (GET /serving) of an agent, against emulated clusters: 200 only while clients may be sent
 * to the cluster, and for a DR primary only once its role is confirmed since the agent started or its Vault was away.
 */

const TOKEN = 'serving-test-token-0123456789abcdef'
const HEADER = 'x-vault-dr-epoch'

const fx = useClusterFixture('agent-serving')
const cluster = fx.cluster
const stateDir = fx.stateDir

async function agent(c: ClusterHandle, dir: string, env: Record<string, string> = {}): Promise<App> {
  const config: PrimaryAgentConfig = loadPrimaryAgentConfig({ ...agentEnv(c, dir, TOKEN), ...env })
  const app = await buildPrimaryAgent(config)
  await app.ready()
  let closed = false
  fx.defer(() => (closed ? Promise.resolve() : app.close()))
  const close = app.close.bind(app)
  app.close = (async () => {
    closed = true
    return close()
  }) as App['close']
  return app
}

async function call(app: App, url: string, opts: { epoch?: number; payload?: object } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }
  if (opts.epoch !== undefined) headers[HEADER] = String(opts.epoch)
  const res = await app.inject({ method: 'POST', url, headers, payload: opts.payload ?? {} })
  return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
}

/** What a load balancer sees: no token. */
async function serving(app: App) {
  const res = await app.inject({ method: 'GET', url: '/serving' })
  return {
    status: res.statusCode,
    ...(res.json() as { serving: boolean; reason: string; confirmed: any; episode: string }),
  }
}

/** confirmServing as the gateway sends it: with the episode of a getServing read just before, unless told one. */
const confirm = async (
  app: App,
  epoch: number | undefined,
  { checkedAt = new Date().toISOString(), episode }: { checkedAt?: string; episode?: string } = {},
) =>
  call(app, '/v1/dr/serving/confirm', {
    ...(epoch === undefined ? {} : { epoch }),
    payload: { checked_at: checkedAt, episode: episode ?? (await serving(app)).episode },
  })

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (err: unknown) => err as CodedError,
  )

const connectedTo = (primary: ClusterHandle, connected: boolean) => () =>
  ((primary.state().drStatus as any).secondaries ?? []).some((s: any) => s.connection_status === 'connected') ===
  connected

/** dc1 a DR primary (through its agent) with dc2 streaming from it. */
async function pair(a1: App, dc1: ClusterHandle, dc2: ClusterHandle) {
  expect((await call(a1, '/v1/dr/primary/enable', { epoch: 1 })).status).toBe(200)
  const minted = await call(a1, '/v1/dr/primary/secondary-token', { payload: { secondary_id: 'dc2' } })
  expect(minted.status, minted.body).toBe(201)
  await activateDirectly(dc1, dc2, minted.json.token)
}

describe('the load balancers check, GET /serving', () => {
  it('serves a cluster without DR, a new primary, and a primary whose secondary streams; not its DR secondary', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const a1 = await agent(dc1, await stateDir())
    expect(await serving(a1)).toMatchObject({ status: 200, serving: true, reason: 'dr_disabled' })
    await pair(a1, dc1, dc2)
    expect(await serving(a1)).toMatchObject({
      status: 200,
      serving: true,
      reason: 'primary',
      confirmed: { by: 'secondary_connected' },
    })
    const a2 = await agent(dc2, await stateDir())
    expect(await serving(a2)).toMatchObject({ status: 503, serving: false, reason: 'dr_secondary' })
  })

  it('a restarted agent with no secondary connected waits for the gateway to confirm; a fenced one is never served', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const dir = await stateDir()
    const first = await agent(dc1, dir)
    await pair(first, dc1, dc2)
    expect(await serving(first)).toMatchObject({ status: 200, confirmed: { by: 'secondary_connected' } })
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    // Confirmed while it runs: a DR site away does not take its primary out of the balancer.
    expect(await serving(first)).toMatchObject({ status: 200, reason: 'primary' })
    await first.close()

    const again = await agent(dc1, dir)
    expect(await serving(again)).toMatchObject({ status: 503, serving: false, reason: 'unconfirmed', confirmed: null })
    // On /metrics for an alert: a primary held out of its balancers.
    const metrics = (await again.inject('/metrics')).body
    expect(metrics).toMatch(/^vault_dr_agent_serving\{reason="unconfirmed"[^}]*\} 1$/m)
    expect(metrics).toMatch(/^vault_dr_agent_serving\{reason="primary"[^}]*\} 0$/m)
    const noEpoch = await confirm(again, undefined)
    expect(noEpoch.status).toBe(400)
    expect(JSON.stringify(noEpoch.json.errors)).toContain(`headers/${HEADER}`)
    expect((await confirm(again, 0)).json.code).toBe('AGENT_ERR_STALE_EPOCH')
    const old = await confirm(again, 1, { checkedAt: new Date(Date.now() - 60_000).toISOString() })
    expect(old.status).toBe(409)
    expect(old.json).toMatchObject({ code: 'AGENT_ERR_SERVING_CONFIRM_STALE', fix: expect.stringContaining('NTP') })
    const badBody = await call(again, '/v1/dr/serving/confirm', { epoch: 1, payload: { checked_at: 'yesterday' } })
    expect(badBody.status).toBe(400)
    expect(JSON.stringify(badBody.json.errors)).toContain('body/checked_at')
    const noEpisode = await call(again, '/v1/dr/serving/confirm', {
      epoch: 1,
      payload: { checked_at: new Date().toISOString() },
    })
    expect(noEpisode.status).toBe(400)
    expect(JSON.stringify(noEpisode.json.errors)).toContain('body/episode')
    expect(await serving(again)).toMatchObject({ status: 503, reason: 'unconfirmed' })

    const confirmed = await confirm(again, 1)
    expect(confirmed.status, confirmed.body).toBe(200)
    expect(confirmed.json).toMatchObject({ serving: true, reason: 'primary', confirmed: { by: 'gateway' } })
    expect(await serving(again)).toMatchObject({ status: 200, reason: 'primary' })
    expect((await again.inject('/metrics')).body).toMatch(/^vault_dr_agent_serving\{reason="primary"[^}]*\} 1$/m)

    const fenced = await call(again, '/v1/dr/fence', { epoch: 2, payload: { reason: 'failover to dc2' } })
    expect(fenced.json).toMatchObject({ fenced: true, demoted: true })
    expect(await serving(again)).toMatchObject({ status: 503, serving: false, reason: 'fenced' })
    expect((await confirm(again, 2)).json).toMatchObject({ serving: false, reason: 'fenced' })
    expect(await serving(again)).toMatchObject({ status: 503, reason: 'fenced' })
  })

  it('asks for confirmation again once its Vault was away longer than VAULT_DR_SERVING_RECONFIRM_AFTER', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const a1 = await agent(dc1, await stateDir(), { VAULT_DR_SERVING_RECONFIRM_AFTER: '1s' })
    await pair(a1, dc1, dc2)
    expect(await serving(a1)).toMatchObject({ status: 200, confirmed: { by: 'secondary_connected' } })

    // Away for less than the duration: still confirmed when it answers again.
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    await dc1.faults.isolate('refuse')
    await until('the agent to see dc1 away', async () => (await serving(a1)).reason === 'vault_unavailable')
    await dc1.faults.rejoin()
    const back = await until('dc1 to answer again', async () => {
      const seen = await serving(a1)
      return seen.reason === 'vault_unavailable' ? undefined : seen
    })
    expect(back).toMatchObject({ status: 200, reason: 'primary' })

    // Away for longer (the agent reads it every quarter of the duration meanwhile): to be confirmed again, here by its
    // secondary connecting again.
    await dc1.faults.isolate('refuse')
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    await dc1.faults.rejoin()
    const rejoined = await until('dc1 to answer again', async () => {
      const seen = await serving(a1)
      return seen.reason === 'vault_unavailable' ? undefined : seen
    })
    expect(rejoined).toMatchObject({ status: 503, reason: 'unconfirmed', confirmed: null })
    await dc2.faults.rejoin()
    await until('dc1 to be served again', async () => (await serving(a1)).status === 200)

    // Sealed for longer counts as away (a Vault restarted after a power loss comes back sealed).
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    dc1.faults.seal()
    // A status read already answered before the seal may still be in flight, shared with the first check after it.
    await until('the agent to see dc1 sealed', async () => (await serving(a1)).reason === 'vault_unavailable')
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    dc1.faults.unseal()
    const unsealed = await until('dc1 to answer unsealed', async () => {
      const seen = await serving(a1)
      return seen.reason === 'vault_unavailable' ? undefined : seen
    })
    expect(unsealed).toMatchObject({ status: 503, reason: 'unconfirmed', confirmed: null })
    // Its secondary connecting again confirms it.
    await dc2.faults.rejoin()
    await until('dc1 to be served again', async () => (await serving(a1)).status === 200)
    expect(await serving(a1)).toMatchObject({ reason: 'primary', confirmed: { by: 'secondary_connected' } })
  })

  it('the agent that promotes its cluster confirms it: the new primary is served at once', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const a1 = await agent(dc1, await stateDir())
    await pair(a1, dc1, dc2)
    const drToken = await call(a1, '/v1/dr/operation-token', { epoch: 1 })
    expect(drToken.status, drToken.body).toBe(201)
    const a2 = await agent(dc2, await stateDir())
    await dc1.faults.isolate('refuse')
    const promoted = await call(a2, '/v1/dr/secondary/promote', {
      epoch: 2,
      payload: { dr_operation_token: drToken.json.token },
    })
    expect(promoted.status, promoted.body).toBe(200)
    expect(await serving(a2)).toMatchObject({ status: 200, serving: true, reason: 'primary' })
    const body = JSON.stringify(await serving(a2))
    expect(body).not.toContain(drToken.json.token)
  })

  it('refuses a confirmation read before its Vault was away: a failover may have happened unseen meanwhile', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const a1 = await agent(dc1, await stateDir(), { VAULT_DR_SERVING_RECONFIRM_AFTER: '1s' })
    await pair(a1, dc1, dc2)
    expect(await serving(a1)).toMatchObject({ status: 200, confirmed: { by: 'secondary_connected' } })
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    const before = await serving(a1)
    expect(before).toMatchObject({ status: 200, reason: 'primary' })

    // The gateway read the episode, then its store (no fence); its confirmation is held up while dc1's Vault is away
    // longer than the duration (a failover fences dc1 meanwhile, unseen by its agent) and lands once it is back.
    await dc1.faults.isolate('refuse')
    await sleep(1_600)
    await dc1.faults.rejoin()
    const late = await confirm(a1, 1, { episode: before.episode })
    expect(late.status, late.body).toBe(409)
    expect(late.json).toMatchObject({
      code: 'AGENT_ERR_SERVING_EPISODE_CHANGED',
      fix: expect.stringContaining('getServing'),
    })
    const after = await serving(a1)
    expect(after).toMatchObject({ status: 503, reason: 'unconfirmed', confirmed: null })
    expect(after.episode).not.toBe(before.episode)

    // Read again, then the store: confirmed.
    const confirmed = await confirm(a1, 1, { episode: after.episode })
    expect(confirmed.status, confirmed.body).toBe(200)
    expect(confirmed.json).toMatchObject({ serving: true, reason: 'primary', confirmed: { by: 'gateway' } })
  })

  it('refuses a confirmation whose Vault read was slow, or saw a higher epoch come meanwhile', async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const gate = await startVaultGate(dc1.apiUrl)
    fx.defer(() => gate.close())
    const dir = await stateDir()
    const first = await agent(dc1, dir, { VAULT_ADDR: gate.url })
    await pair(first, dc1, dc2)
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    await first.close()
    const a1 = await agent(dc1, dir, { VAULT_ADDR: gate.url })
    const before = await serving(a1)
    expect(before).toMatchObject({ status: 503, reason: 'unconfirmed' })

    // Every check passes before the agent reads its Vault, which hangs (a black hole) longer than SLOW_READ_MS.
    gate.hold()
    const pending = confirm(a1, 1, { episode: before.episode })
    await gate.waiting()
    await sleep(SLOW_READ_MS + 200)
    gate.release()
    const late = await pending
    expect(late.status, late.body).toBe(409)
    expect(late.json.code).toBe('AGENT_ERR_SERVING_EPISODE_CHANGED')
    expect(await serving(a1)).toMatchObject({ status: 503, reason: 'unconfirmed' })

    // A role change's epoch seen while the read waits (shorter than SLOW_READ_MS this time): the caller is stale.
    const episode = (await serving(a1)).episode
    gate.hold()
    const during = confirm(a1, 1, { episode })
    await gate.waiting()
    const cleared = call(a1, '/v1/dr/fence/clear', { epoch: 2 })
    await until('the agent to record epoch 2', async () => (await readFile(join(dir, 'epoch'), 'utf8')).trim() === '2')
    gate.release()
    expect((await cleared).status).toBe(200)
    const stale = await during
    expect(stale.status, stale.body).toBe(409)
    expect(stale.json.code).toBe('AGENT_ERR_STALE_EPOCH')
    expect(await serving(a1)).toMatchObject({ status: 503, reason: 'unconfirmed', episode })
  })

  it("the gateway's client reads the 503 answer's episode and confirms with it", async () => {
    const [dc1, dc2] = [await cluster('dc1'), await cluster('dc2')]
    const dir = await stateDir()
    const first = await agent(dc1, dir)
    await pair(first, dc1, dc2)
    await dc2.faults.isolate('refuse')
    await until('dc1 to see dc2 disconnected', connectedTo(dc1, false))
    await first.close()
    const a1 = await agent(dc1, dir)
    const url = await a1.listen({ host: '127.0.0.1', port: 0 })
    const agents = createAgentClients({ timeoutMs: 5_000 })
    fx.defer(() => agents.close())
    const client = agents.cluster({ cluster: 'dc1', url, token: TOKEN })

    const view = await client.serving()
    expect(view).toMatchObject({ serving: false, reason: 'unconfirmed', episode: expect.any(String) })
    const checked_at = new Date().toISOString()
    const stale = await failure(client.confirmServing({ checked_at, episode: 'another' }, { epoch: 1 }))
    expect(stale.upstream).toMatchObject({ status: 409, code: 'AGENT_ERR_SERVING_EPISODE_CHANGED' })
    expect(await client.confirmServing({ checked_at, episode: view.episode }, { epoch: 1 })).toMatchObject({
      serving: true,
      reason: 'primary',
    })
    expect(await client.serving()).toMatchObject({ serving: true, reason: 'primary' })
  })
})
