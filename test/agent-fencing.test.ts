import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type App, LogCapture } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent, type PrimaryAgentConfig } from '@vault-dr/primary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { activateDirectly, agentEnv, until, useClusterFixture } from './helpers/cluster-fixture.ts'

const TOKEN = 'fencing-test-token-0123456789abcdef'
const HEADER = 'x-vault-dr-epoch'

const fx = useClusterFixture('agent-fence')
const cluster = fx.cluster
const stateDir = fx.stateDir

const env = (c: ClusterHandle, dir: string) => agentEnv(c, dir, TOKEN)

/** An agent next to `c`; `config` overrides what the environment gave (a self-fencing time below its minimum). */
async function agent(c: ClusterHandle, dir: string, config: Partial<PrimaryAgentConfig> = {}, logs = new LogCapture()) {
  const app = await buildPrimaryAgent({ ...loadPrimaryAgentConfig(env(c, dir)), ...config }, { logStream: logs })
  let closed = false
  fx.defer(() => (closed ? Promise.resolve() : app.close()))
  return {
    app,
    logs,
    close: async () => {
      closed = true
      await app.close()
    },
  }
}

async function call(
  app: App,
  url: string,
  opts: { epoch?: number; payload?: object; method?: 'GET' | 'POST'; quorumContact?: boolean } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }
  if (opts.epoch !== undefined) headers[HEADER] = String(opts.epoch)
  if (opts.quorumContact === true) headers['x-vault-dr-contact'] = 'quorum'
  const method = opts.method ?? 'POST'
  const res = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: opts.payload ?? {} } : {}) })
  return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
}

const status = async (app: App) => (await call(app, '/v1/status', { method: 'GET' })).json
const fencedGauge = async (app: App) =>
  /^vault_dr_agent_fenced(?:\{[^}]*\})? (\d)$/m.exec((await app.inject('/metrics')).body)?.[1]

/** dc1 a DR primary with dc2 streaming from it, through the agent next to dc1 and dc2's Vault directly. */
async function pair(a1: App, dc1: ClusterHandle, dc2: ClusterHandle) {
  expect((await call(a1, '/v1/dr/primary/enable')).status).toBe(200)
  const minted = await call(a1, '/v1/dr/primary/secondary-token', { payload: { secondary_id: 'dc2' } })
  expect(minted.status, minted.body).toBe(201)
  await activateDirectly(dc1, dc2, minted.json.token)
}

describe('fencing an old primary (fenceCluster, clearFence)', () => {
  it('records the fence, demotes the primary, shows it in status, readiness and metrics, and clears once demoted', async () => {
    const dc1 = await cluster('dc1')
    const dir = await stateDir()
    const { app } = await agent(dc1, dir)
    expect((await call(app, '/v1/dr/primary/enable', { epoch: 4 })).status).toBe(200)
    expect((await status(app)).fenced).toBeNull()
    expect(await fencedGauge(app)).toBe('0')

    const missing = await call(app, '/v1/dr/fence', { payload: { reason: 'failover to dc2' } })
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.json.errors)).toContain(`headers/${HEADER}`)
    expect((await call(app, '/v1/dr/fence', { epoch: 3 })).json.code).toBe('AGENT_ERR_STALE_EPOCH')
    const tooLong = await call(app, '/v1/dr/fence', { epoch: 5, payload: { reason: 'x'.repeat(201) } })
    expect(tooLong.status).toBe(400)
    expect(JSON.stringify(tooLong.json.errors)).toContain('body/reason')
    expect(dc1.state().drMode).toBe('primary')

    const fenced = await call(app, '/v1/dr/fence', {
      epoch: 5,
      payload: { reason: 'failover to dc2', failover_id: 'fo-1' },
    })
    expect(fenced.status, fenced.body).toBe(200)
    expect(fenced.json).toMatchObject({
      fenced: true,
      demoted: true,
      record: {
        reason: 'failover to dc2',
        epoch: 5,
        by: 'gateway',
        failover_id: 'fo-1',
        demoted_at: expect.any(String),
      },
      status: { replication: { mode: 'secondary' } },
    })
    expect(dc1.state().drMode).toBe('secondary')
    const onDisk = JSON.parse(await readFile(join(dir, 'fence'), 'utf8'))
    expect(onDisk).toEqual(fenced.json.record)
    const shown = await status(app)
    expect(shown.fenced).toEqual(fenced.json.record)
    expect(shown.epoch).toBe(5)
    expect(await fencedGauge(app)).toBe('1')
    const ready = (await app.inject('/readyz')).json()
    expect(ready.checks.find((c: { name: string }) => c.name === 'fence')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('fenced by gateway'),
    })

    // Idempotent: the first record stays; the cluster is already demoted.
    const again = await call(app, '/v1/dr/fence', { epoch: 5, payload: { reason: 'another reason' } })
    expect(again.json).toMatchObject({ demoted: true, record: fenced.json.record })

    // Demoted, a fenced agent serves the rejoin's calls (a secondary's public key).
    expect((await call(app, '/v1/dr/secondary/generate-public-key', { epoch: 5 })).status).toBe(200)
    // But never a promote while the fence holds, demoted or not: its keeper would demote it again, and until then
    // it would take writes beside the new primary.
    const promote = { epoch: 5, payload: { dr_operation_token: 'hvb.any-dr-operation-token' } }
    const refusedPromote = await call(app, '/v1/dr/secondary/promote', promote)
    expect(refusedPromote.status).toBe(409)
    expect(refusedPromote.json).toMatchObject({ code: 'AGENT_ERR_FENCED', fix: expect.stringContaining('rejoin') })
    expect(dc1.state().drMode).toBe('secondary')

    expect((await call(app, '/v1/dr/fence/clear')).status).toBe(400)
    const cleared = await call(app, '/v1/dr/fence/clear', { epoch: 5 })
    expect(cleared.json).toMatchObject({ cleared: true })
    expect((await status(app)).fenced).toBeNull()
    expect(await fencedGauge(app)).toBe('0')
    await expect(readFile(join(dir, 'fence'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await call(app, '/v1/dr/fence/clear', { epoch: 5 })).json).toMatchObject({ cleared: false })
    // Cleared, a promote goes to Vault (which refuses this made-up token).
    expect((await call(app, '/v1/dr/secondary/promote', promote)).json.code).not.toBe('AGENT_ERR_FENCED')
  })

  it('keeps refusing changes across a restart while the demote cannot go through (sealed), then demotes once it can', async () => {
    const dc1 = await cluster('dc1')
    const dir = await stateDir()
    const first = await agent(dc1, dir)
    expect((await call(first.app, '/v1/dr/primary/enable', { epoch: 1 })).status).toBe(200)
    dc1.faults.seal()

    const fenced = await call(first.app, '/v1/dr/fence', { epoch: 2 })
    expect(fenced.status, fenced.body).toBe(200)
    expect(fenced.json).toMatchObject({ fenced: true, demoted: false, record: { demoted_at: null } })
    expect(fenced.json.detail).toContain('VAULT_ERR_SEALED')
    const refused = await call(first.app, '/v1/dr/primary/secondary-token', { payload: { secondary_id: 'dc2' } })
    expect(refused.status).toBe(409)
    expect(refused.json).toMatchObject({ code: 'AGENT_ERR_FENCED', fix: expect.stringContaining('demote') })
    expect((await call(first.app, '/v1/dr/fence/clear', { epoch: 2 })).json.code).toBe('AGENT_ERR_FENCE_NOT_DEMOTED')
    await first.close()

    // Restarted on the same state directory, its Vault still sealed: still fenced, still refusing.
    const second = await agent(dc1, dir)
    expect((await status(second.app)).fenced).toMatchObject({ epoch: 2, by: 'gateway', demoted_at: null })
    for (const [url, payload] of [
      ['/v1/dr/primary/secondary-token', { secondary_id: 'dc2' }],
      ['/v1/dr/operation-token', {}],
      ['/v1/dr/primary/enable', {}],
    ] as const) {
      expect((await call(second.app, url, { payload, epoch: 2 })).json.code, url).toBe('AGENT_ERR_FENCED')
    }
    expect(dc1.state().drMode).toBe('primary')

    dc1.faults.unseal()
    const demotedAt = await until(
      'the fenced agent to demote dc1',
      async () => (await status(second.app)).fenced?.demoted_at ?? undefined,
    )
    expect(dc1.state().drMode).toBe('secondary')
    expect(Date.parse(demotedAt)).toBeGreaterThan(Date.parse(fenced.json.record.at))
    // No longer refused as fenced: the cluster is a DR secondary, which refuses a mint itself.
    const mint = await call(second.app, '/v1/dr/primary/secondary-token', { payload: { secondary_id: 'dc2' } })
    expect(mint.json.code).not.toBe('AGENT_ERR_FENCED')
    expect((await call(second.app, '/v1/dr/fence/clear', { epoch: 2 })).json.cleared).toBe(true)
  })
})

describe('self-fencing on isolation (VAULT_DR_FENCE_ON_ISOLATION)', () => {
  // 1.5 s instead of the 10 s minimum the variable accepts: set on the config object, past the environment's check.
  const fenceOnIsolationMs = 1_500

  it('refuses to start on a duration under 10s or not a duration, naming the variable', () => {
    for (const value of ['5s', '9s', 'soon', '10']) {
      expect(
        () =>
          loadPrimaryAgentConfig({
            ...env({ apiUrl: 'http://127.0.0.1:1', rootToken: 'x' } as ClusterHandle, '/tmp/x'),
            VAULT_DR_FENCE_ON_ISOLATION: value,
          }),
        value,
      ).toThrow('VAULT_DR_FENCE_ON_ISOLATION')
    }
    const on = loadPrimaryAgentConfig({
      ...env({ apiUrl: 'http://127.0.0.1:1', rootToken: 'x' } as ClusterHandle, '/tmp/x'),
      VAULT_DR_FENCE_ON_ISOLATION: '2m',
    })
    expect(on.fenceOnIsolationMs).toBe(120_000)
  })

  it('demotes its own primary once the secondary is cut off and no request reaches the agent for the duration', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const { app, logs } = await agent(dc1, await stateDir(), { fenceOnIsolationMs })
    await pair(app, dc1, dc2)
    // Taken before the cut: the agent may see it while isolate() is still under way.
    const cutAt = Date.now()
    await dc2.faults.isolate()
    // Watched through the simulator and /metrics only: a /v1 request would count as the gateway reaching the agent.
    await until('dc1 to be demoted by its agent', () => dc1.state().drMode === 'secondary', 15_000)
    expect(Date.now() - cutAt).toBeGreaterThan(fenceOnIsolationMs)
    expect(await fencedGauge(app)).toBe('1')
    // Fired: a request now changes nothing. The record says demoted once the demote settled.
    const fenced = await until('the record to say demoted', async () => {
      const record = (await status(app)).fenced
      return record?.demoted_at ? record : undefined
    })
    expect(fenced).toMatchObject({ by: 'isolation', demoted_at: expect.any(String), failover_id: null })
    // Its status says what it runs with, in both forms of the status (the gateway keeps it for a later failover).
    expect((await status(app)).fence_on_isolation_ms).toBe(fenceOnIsolationMs)
    const one = await call(app, '/v1/status?secondary_id=dc2', { method: 'GET' })
    expect(one.json.fence_on_isolation_ms).toBe(fenceOnIsolationMs)
    expect(fenced.reason).toContain('every DR secondary (dc2) disconnected')
    const errors = logs.lines.filter((l) => l.level === 50 && String(l.msg).includes('isolated'))
    expect(errors).toHaveLength(1)
  })

  it('resumes its clocks when restarted while cut off: the isolation it counts began before the restart', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const dir = await stateDir()
    const first = await agent(dc1, dir, { fenceOnIsolationMs })
    await pair(first.app, dc1, dc2)
    await dc2.faults.isolate()
    // Restarted once one of its checks (every quarter of the duration) saw the cut and kept it.
    await until('the agent to keep the isolation it sees', async () => {
      const kept = await readFile(join(dir, 'isolation'), 'utf8').catch(() => '{}')
      return (JSON.parse(kept) as { isolated_since?: number | null }).isolated_since != null
    })
    await first.close()
    const restartedAt = Date.now()
    const { app } = await agent(dc1, dir, { fenceOnIsolationMs })
    await app.ready()
    await until('dc1 to be demoted by its restarted agent', () => dc1.state().drMode === 'secondary', 15_000)
    const fenced = await until('the record to say demoted', async () => {
      const record = (await status(app)).fenced
      return record?.demoted_at ? record : undefined
    })
    // "…disconnected, or this agent's Vault not answering, since <when>": counted from before the restart.
    const since = /not answering, since (\S+), and/.exec(String(fenced.reason))?.[1]
    expect(since).toBeDefined()
    expect(Date.parse(since as string)).toBeLessThan(restartedAt)
  })

  it("does not fire while a gateway's marked contact keeps reaching the agent; other requests do not hold it off", async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const { app } = await agent(dc1, await stateDir(), { fenceOnIsolationMs })
    await pair(app, dc1, dc2)
    const off = await agent(dc2, await stateDir())
    expect((await status(off.app)).fence_on_isolation_ms).toBeNull()
    await dc2.faults.isolate()
    await until('dc1 to see dc2 disconnected', () =>
      (dc1.state().drStatus as any).secondaries.every((s: any) => s.connection_status !== 'connected'),
    )
    // A gateway that reached its store's quorum keeps in touch: its reads are marked.
    const pollUntil = Date.now() + 3 * fenceOnIsolationMs
    while (Date.now() < pollUntil) {
      const read = await call(app, '/v1/status', { method: 'GET', quorumContact: true })
      expect(read.json.fenced).toBeNull()
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    expect(dc1.state().drMode).toBe('primary')
    // An operator's reads through a gateway cut off from the quorum, or the pairs upkeep, are not contact: they go on,
    // and the primary, cut off from the quorum side that may fail it over, fences itself all the same.
    let reads = 0
    await until(
      'dc1 to be demoted once only unmarked requests reach its agent',
      async () => {
        reads++
        expect((await call(app, '/v1/status', { method: 'GET' })).status).toBe(200)
        await call(app, '/v1/cluster/write-check')
        return dc1.state().drMode === 'secondary'
      },
      15_000,
    )
    expect(reads).toBeGreaterThan(3)
    // Another mark is no mark, not a refusal: a newer gateway still reads this agent.
    const other = await app.inject({
      method: 'GET',
      url: '/v1/status',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-vault-dr-contact': 'quorum-v2' },
    })
    expect(other.statusCode).toBe(200)
  })

  it('counts no marked request answered after the deadline it names (a slow Vault): its gateway counted no contact either', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const { app } = await agent(dc1, await stateDir(), { fenceOnIsolationMs })
    await pair(app, dc1, dc2)
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    await dc2.faults.isolate()
    dc1.faults.setLatency(800)
    // Marked requests given up after the 200 ms they name, as a gateway's deadline passes; each takes one Vault write
    // (a status read could join one under way and be answered in time). The agent answers them all the same (the
    // connection stays open) but counts none.
    let given = 0
    await until(
      'dc1 to be demoted by its agent while marked requests keep arriving and are given up on',
      async () => {
        const sent = await fetch(`${url}/v1/cluster/write-check`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'x-vault-dr-contact': 'quorum',
            'x-vault-dr-contact-within-ms': '200',
          },
          signal: AbortSignal.timeout(200),
        }).catch(() => undefined)
        if (sent === undefined) given++
        await sent?.body?.cancel()
        return dc1.state().drMode === 'secondary'
      },
      20_000,
    )
    expect(given).toBeGreaterThan(3)
  })
})
