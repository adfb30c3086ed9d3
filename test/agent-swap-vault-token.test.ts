import { type App, CLUSTER_AGENT_GRANTS } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { until, useClusterFixture } from './helpers/cluster-fixture.ts'

/** Role changes carry the fencing epoch they act under, as the gateway sends it (1: none raised it here). */
const ROLE_CHANGES = /^\/v1\/dr\/(primary\/demote|secondary\/promote|secondary\/update-primary)$/
const AT_EPOCH = { 'x-vault-dr-epoch': '1' }

const TOKEN = 'swap-token-test-token-0123456789abcdef'

const fx = useClusterFixture('swap-token')
const cluster = fx.cluster

async function agent(build: typeof buildPrimaryAgent, c: ClusterHandle, vaultToken: string): Promise<App> {
  const dir = await fx.tempDir()
  const env = {
    VAULT_DR_API_TOKEN: TOKEN,
    VAULT_ADDR: c.apiUrl,
    VAULT_TOKEN: vaultToken,
    VAULT_DR_STATUS_CACHE_MS: '0',
    VAULT_DR_WAIT_TIMEOUT_MS: '10000',
    VAULT_DR_LOG_LEVEL: 'silent',
    VAULT_DR_AGENT_STATE_DIR: dir,
  }
  const app = await build(build === buildPrimaryAgent ? loadPrimaryAgentConfig(env) : loadSecondaryAgentConfig(env))
  fx.defer(() => app.close())
  return app
}

async function call(app: App, url: string, payload?: object, method: 'GET' | 'POST' = 'POST') {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${TOKEN}`, ...(ROLE_CHANGES.test(url) ? AT_EPOCH : {}) },
    ...(payload ? { payload } : {}),
  })
  return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
}

async function vault(c: ClusterHandle, path: string, body: object) {
  const res = await fetch(`${c.apiUrl}/v1/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': c.rootToken },
    body: JSON.stringify(body),
  })
  return (await res.json().catch(() => ({}))) as Record<string, any>
}

/** The agents' policy as the README gives it: every grant of CLUSTER_AGENT_GRANTS, and the two token-check paths. */
const AGENT_POLICY = [
  ...CLUSTER_AGENT_GRANTS.map((g) => {
    const caps = [...new Set(g.capabilities.flatMap((c) => (c === 'update' ? ['create', 'update'] : [c])))]
    return `path "${g.path}" { capabilities = ${JSON.stringify(caps)} }`
  }),
  'path "sys/capabilities-self" { capabilities = ["update"] }',
  'path "auth/token/lookup-self" { capabilities = ["read"] }',
].join('\n')

describe("the secondary agent's Vault token after a switchover", () => {
  it('a token made on the old primary works on the promoted cluster (DR mirrors the token store): the agent there mints', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const a1 = await agent(buildPrimaryAgent, dc1, dc1.rootToken)
    const a2 = await agent(buildSecondaryAgent, dc2, dc2.rootToken)

    expect((await call(a1, '/v1/dr/primary/enable', {})).status).toBe(200)
    const minted = await call(a1, '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    expect((await call(a2, '/v1/dr/secondary/activate', { token: minted.json.token, confirm_wipe: true })).status).toBe(
      200,
    )
    await until('dc2 to stream', () => dc2.state().drState === 'stream-wals')

    // Made on the primary, with the README's policy, before the switch.
    await vault(dc1, 'sys/policies/acl/vault-dr-agent', { policy: AGENT_POLICY })
    const made = await vault(dc1, 'auth/token/create', {
      policies: ['vault-dr-agent'],
      no_default_policy: true,
      no_parent: true,
      ttl: '768h',
    })
    const replicatedToken = made.auth.client_token as string
    const drToken = (await call(a1, '/v1/dr/operation-token', {})).json.token as string
    const written = dc1.faults.write()
    await until('dc2 to have every write of dc1', () => (dc2.state().drStatus as any).last_remote_wal >= written)

    // dc2's own root token went with its data at activation.
    expect((await call(a2, '/v1/vault-token', undefined, 'GET')).json.code).toBe('DR_SECONDARY')

    expect((await call(a1, '/v1/dr/primary/demote')).status).toBe(200)
    const promoted = await call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken })
    expect(promoted.status, promoted.body).toBe(200)

    // The check's last answer is shared for a second: ask until it is made after the promote.
    const deadline = Date.now() + 5_000
    let wiped = await call(a2, '/v1/vault-token', undefined, 'GET')
    while (wiped.json.code === 'DR_SECONDARY' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      wiped = await call(a2, '/v1/vault-token', undefined, 'GET')
    }
    expect(wiped.json.code).toBe('TOKEN_REFUSED')

    const a2AsPrimary = await agent(buildSecondaryAgent, dc2, replicatedToken)
    const check = await call(a2AsPrimary, '/v1/vault-token', undefined, 'GET')
    expect(check.json, check.body).toMatchObject({ status: 'pass', code: 'OK', missing: [] })
    const key = await call(a1, '/v1/dr/secondary/generate-public-key')
    expect(key.status, key.body).toBe(200)
    const token = await call(a2AsPrimary, '/v1/dr/primary/secondary-token', {
      secondary_id: 'dc1',
      secondary_public_key: key.json.secondary_public_key,
    })
    expect(token.status, token.body).toBe(201)
    expect((await call(a2AsPrimary, '/v1/dr/operation-token', {})).status).toBe(201)
    expect((await call(a2AsPrimary, '/v1/cluster/write-check')).json.writable).toBe(true)
  })
})
