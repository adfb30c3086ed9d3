import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { App } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import { type ClusterHandle, type SimTimings, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { until } from './helpers/cluster-fixture.ts'

const TOKEN = 'write-check-test-token-0123456789abcdef'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function cluster(name: string, timings: Partial<SimTimings> = {}): Promise<ClusterHandle> {
  const c = await startCluster({ name, timings: { ...testTimings, ...timings } })
  closers.push(() => c.close())
  return c
}

async function agent(build: typeof buildPrimaryAgent, load: typeof loadPrimaryAgentConfig, c: ClusterHandle) {
  const dir = await mkdtemp(join(tmpdir(), 'write-check-'))
  closers.push(() => rm(dir, { recursive: true, force: true }))
  const app = await build(
    load({
      VAULT_DR_API_TOKEN: TOKEN,
      VAULT_ADDR: c.apiUrl,
      VAULT_TOKEN: c.rootToken,
      VAULT_DR_STATUS_CACHE_MS: '0',
      VAULT_DR_WAIT_TIMEOUT_MS: '10000',
      VAULT_DR_LOG_LEVEL: 'silent',
      VAULT_DR_AGENT_STATE_DIR: dir,
    }),
  )
  closers.push(() => app.close())
  return app
}

async function call(app: App, url: string, payload?: object) {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${TOKEN}` },
    ...(payload ? { payload } : {}),
  })
  return { status: res.statusCode, json: res.json() as Record<string, any> }
}

describe('checkClusterWrites (POST /v1/cluster/write-check) on vault-sim', () => {
  it('answers writable on a primary, and writable: false with Vault reason on its DR secondary, from either agent', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const a1 = await agent(buildPrimaryAgent, loadPrimaryAgentConfig, dc1)
    const a2 = await agent(buildSecondaryAgent, loadSecondaryAgentConfig, dc2)

    // A cluster without DR takes writes too.
    expect((await call(a2, '/v1/cluster/write-check')).json).toMatchObject({ writable: true, code: null })

    expect((await call(a1, '/v1/dr/primary/enable', {})).status).toBe(200)
    const minted = await call(a1, '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    expect((await call(a2, '/v1/dr/secondary/activate', { token: minted.json.token, confirm_wipe: true })).status).toBe(
      200,
    )
    await until('dc2 to stream', () => dc2.state().drState === 'stream-wals')

    const onPrimary = await call(a1, '/v1/cluster/write-check')
    expect(onPrimary.status).toBe(200)
    expect(onPrimary.json).toMatchObject({
      writable: true,
      detail: 'wrote and read back sys/policies/acl/vault-dr-write-check',
      code: null,
    })
    expect(onPrimary.json.took_ms).toBeGreaterThanOrEqual(0)

    const onSecondary = await call(a2, '/v1/cluster/write-check')
    expect(onSecondary.status).toBe(200)
    expect(onSecondary.json).toMatchObject({
      writable: false,
      detail: 'Vault refused the write: path disabled in replication DR secondary mode',
      code: 'VAULT_ERR_DR_SECONDARY',
    })
  })

  it('answers writable: false during the window with no active node after a role change, then writable', async () => {
    // A window long enough to look into: Vault has no active node for a moment after a demote (fact sheet D5).
    const dc1 = await cluster('dc1', { restartMs: 1_500 })
    const a1 = await agent(buildPrimaryAgent, loadPrimaryAgentConfig, dc1)
    const enabled = await call(a1, '/v1/dr/primary/enable', {})
    expect(enabled.status, JSON.stringify(enabled.json)).toBe(200)
    expect((await call(a1, '/v1/cluster/write-check')).json.writable).toBe(true)

    // Straight to Vault, so the agent's own wait for the cluster to settle does not hide the window.
    const demote = await fetch(`${dc1.apiUrl}/v1/sys/replication/dr/primary/demote`, {
      method: 'POST',
      headers: { 'x-vault-token': dc1.rootToken },
    })
    expect(demote.status).toBe(200)
    const during = await call(a1, '/v1/cluster/write-check')
    expect(during.status).toBe(200)
    expect(during.json).toMatchObject({
      writable: false,
      detail: 'Vault refused the write: local node not active but active cluster node not found',
    })
  })
})
