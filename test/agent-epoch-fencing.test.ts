import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { App } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { useClusterFixture } from './helpers/cluster-fixture.ts'

const TOKEN = 'epoch-fencing-test-token-0123456789abcdef'
const HEADER = 'x-vault-dr-epoch'

const fx = useClusterFixture('agent-epoch')
const cluster = fx.cluster
const stateDir = fx.stateDir

const env = (c: ClusterHandle, dir: string) => ({
  VAULT_DR_API_TOKEN: TOKEN,
  VAULT_ADDR: c.apiUrl,
  VAULT_TOKEN: c.rootToken,
  VAULT_DR_STATUS_CACHE_MS: '0',
  VAULT_DR_LOG_LEVEL: 'silent',
  VAULT_DR_AGENT_STATE_DIR: dir,
})

async function primaryAgent(c: ClusterHandle, dir: string): Promise<App> {
  const app = await buildPrimaryAgent(loadPrimaryAgentConfig(env(c, dir)))
  fx.defer(() => app.close())
  return app
}

async function secondaryAgent(c: ClusterHandle, dir: string): Promise<App> {
  const app = await buildSecondaryAgent(loadSecondaryAgentConfig(env(c, dir)))
  fx.defer(() => app.close())
  return app
}

async function call(app: App, url: string, epoch?: number | string, method: 'GET' | 'POST' = 'POST') {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }
  if (epoch !== undefined) headers[HEADER] = String(epoch)
  const res = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) })
  return { status: res.statusCode, json: res.json() as Record<string, any>, type: res.headers['content-type'] }
}

const epochOf = async (app: App) => (await call(app, '/v1/status', undefined, 'GET')).json.epoch

describe('epoch fencing (x-vault-dr-epoch) on both agents', () => {
  it('records a higher epoch before acting, refuses a lower one with AGENT_ERR_STALE_EPOCH, and leaves Vault alone', async () => {
    const dc1 = await cluster('dc1')
    const dir = await stateDir()
    const a1 = await primaryAgent(dc1, dir)
    expect(await epochOf(a1)).toBe(0)

    expect((await call(a1, '/v1/dr/primary/enable', 3)).status).toBe(200)
    expect(await epochOf(a1)).toBe(3)
    expect(await readFile(join(dir, 'epoch'), 'utf8')).toBe('3\n')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)

    const stale = await call(a1, '/v1/dr/primary/demote', 2)
    expect(stale.status).toBe(409)
    expect(stale.type).toContain('application/problem+json')
    expect(stale.json).toMatchObject({
      code: 'AGENT_ERR_STALE_EPOCH',
      detail: 'The call carries epoch 2; this agent has seen epoch 3.',
      fix: expect.stringContaining('re-read the epoch'),
    })
    expect(dc1.state().drMode).toBe('primary')

    // A role change must say under which epoch it acts: without the header it would pass a failover's fencing.
    const dr = { dr_operation_token: 'hvb.a-dr-operation-token' }
    for (const [url, payload] of [
      ['/v1/dr/primary/demote', {}],
      ['/v1/dr/secondary/promote', dr],
      ['/v1/dr/secondary/update-primary', { ...dr, token: 'an-activation-token' }],
    ] as const) {
      const bare = await a1.inject({ method: 'POST', url, headers: { authorization: `Bearer ${TOKEN}` }, payload })
      expect(bare.statusCode, url).toBe(400)
      expect(bare.json().errors, url).toContainEqual(
        expect.objectContaining({ path: `headers/${HEADER}`, message: expect.stringContaining('is required') }),
      )
    }
    expect(dc1.state().drMode).toBe('primary')

    // Without the header another call is not fenced; checks are never fenced.
    expect((await call(a1, '/v1/dr/primary/enable')).status).toBe(200)
    expect((await call(a1, '/v1/cluster/write-check', 1)).json.writable).toBe(true)
    expect(await epochOf(a1)).toBe(3)

    for (const bad of ['abc', '-1', '1.5', '1e3', '']) {
      const res = await call(a1, '/v1/dr/primary/enable', bad)
      expect(res.status, bad).toBe(400)
      expect(JSON.stringify(res.json.errors)).toContain(`headers/${HEADER}`)
    }
    expect(await epochOf(a1)).toBe(3)
  })

  it('fences the secondary agent the same way, role changes included', async () => {
    const dc2 = await cluster('dc2')
    const a2 = await secondaryAgent(dc2, await stateDir())
    // Admitted and recorded, then refused by the role change's own guard.
    const key = await call(a2, '/v1/dr/secondary/generate-public-key', 5)
    expect(key.json.code).toBe('AGENT_ERR_NOT_DR_SECONDARY')
    expect(await epochOf(a2)).toBe(5)
    expect((await call(a2, '/v1/dr/primary/demote', 4)).json.code).toBe('AGENT_ERR_STALE_EPOCH')
    expect((await call(a2, '/v1/dr/operation-token/ceremony', 4)).json.code).toBe('AGENT_ERR_STALE_EPOCH')
  })

  it('keeps the highest epoch across a restart of the agent: the file survives', async () => {
    const dc1 = await cluster('dc1')
    const dir = await stateDir()
    const before = await primaryAgent(dc1, dir)
    expect((await call(before, '/v1/dr/primary/enable', 8)).status).toBe(200)
    await before.close()

    const after = await primaryAgent(dc1, dir)
    expect(await epochOf(after)).toBe(8)
    expect((await call(after, '/v1/dr/primary/enable', 7)).json.code).toBe('AGENT_ERR_STALE_EPOCH')
    expect((await call(after, '/v1/dr/primary/enable', 8)).status).toBe(200)
  })

  it('keeps the highest of concurrent calls with different epochs', async () => {
    const dc1 = await cluster('dc1')
    const dir = await stateDir()
    const a1 = await primaryAgent(dc1, dir)
    expect((await call(a1, '/v1/dr/primary/enable', 1)).status).toBe(200)
    const epochs = [14, 3, 20, 9, 17, 2, 20, 11, 6, 19]
    const answers = await Promise.all(epochs.map((e) => call(a1, '/v1/dr/primary/enable', e)))
    for (const answer of answers) expect([200, 409]).toContain(answer.status)
    expect(answers.filter((a) => a.status === 409).every((a) => a.json.code === 'AGENT_ERR_STALE_EPOCH')).toBe(true)
    expect(await epochOf(a1)).toBe(20)
    expect(await readFile(join(dir, 'epoch'), 'utf8')).toBe('20\n')
  })
})
