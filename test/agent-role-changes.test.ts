import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { App } from '@vault-dr/core'
import { LogCapture } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { until, useClusterFixture } from './helpers/cluster-fixture.ts'
import { startVaultGate } from './helpers/vault-gate.ts'

/** Role changes carry the fencing epoch they act under, as the gateway sends it (1: none raised it here). */
const ROLE_CHANGES = /^\/v1\/dr\/(primary\/demote|secondary\/promote|secondary\/update-primary)$/
const AT_EPOCH = { 'x-vault-dr-epoch': '1' }

const TOKEN = 'role-change-test-token-0123456789abcdef'
const AUTH = { authorization: `Bearer ${TOKEN}` }

const fx = useClusterFixture('role-change')
const cluster = fx.cluster

/** Both agents, each built from its own service, next to its cluster; logs captured to search for secrets. */
/** `shared`: both agents use dc1's root token, which a promoted dc2 holds too (its own was wiped at activation). */
/** dc2Addr: where dc2's agent reaches its Vault, when not at dc2 itself (a gate in front of it). */
async function agents(dc1: ClusterHandle, dc2: ClusterHandle, shared = false, dc2Addr?: string) {
  // Each agent keeps its epoch and fence in a folder of its own, gone with the test.
  const dirs = { [dc1.name]: await fx.stateDir(), [dc2.name]: await fx.stateDir() }
  const env = (c: ClusterHandle) => ({
    VAULT_DR_AGENT_STATE_DIR: dirs[c.name],
    VAULT_DR_API_TOKEN: TOKEN,
    VAULT_ADDR: c === dc2 && dc2Addr !== undefined ? dc2Addr : c.apiUrl,
    VAULT_TOKEN: shared ? dc1.rootToken : c.rootToken,
    VAULT_DR_STATUS_CACHE_MS: '0',
    VAULT_DR_WAIT_TIMEOUT_MS: '10000',
  })
  const logs = new LogCapture()
  const a1 = await buildPrimaryAgent(loadPrimaryAgentConfig(env(dc1)), { logStream: logs })
  const a2 = await buildSecondaryAgent(loadSecondaryAgentConfig(env(dc2)), { logStream: logs })
  fx.defer(() => a1.close())
  fx.defer(() => a2.close())
  const call = async (app: App, url: string, payload?: object, method: 'GET' | 'POST' = 'POST') => {
    const headers = ROLE_CHANGES.test(url) ? { ...AUTH, ...AT_EPOCH } : AUTH
    const res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
    return { status: res.statusCode, json: res.json() as Record<string, any>, body: res.body }
  }
  return { a1, a2, call, logs, dirs }
}

async function vault(c: ClusterHandle, path: string, body: object, token: string | null = c.rootToken) {
  const res = await fetch(`${c.apiUrl}/v1/${path}`, {
    method: 'POST',
    headers: token === null ? {} : { 'x-vault-token': token },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, any> }
}

/** The batch DR operation token of fact sheet 2.6, made on the primary. */
async function drOperationToken(primary: ClusterHandle): Promise<string> {
  const paths = ['sys/replication/dr/secondary/promote', 'sys/replication/dr/secondary/update-primary']
  const policy = paths.map((p) => `path "${p}" { capabilities = ["update"] }`).join('\n')
  await vault(primary, 'sys/policies/acl/vault-dr-dr-operation', { policy })
  await vault(primary, 'auth/token/roles/vault-dr-dr-operation', {
    allowed_policies: 'vault-dr-dr-operation',
    orphan: true,
    renewable: false,
    token_type: 'batch',
  })
  const created = await vault(primary, 'auth/token/create/vault-dr-dr-operation', { ttl: '1h' })
  return created.json.auth.client_token as string
}

const streamsFrom = (s: ClusterHandle, id: string) =>
  s.state().drMode === 'secondary' && s.state().drState === 'stream-wals' && s.state().secondaryId === id

/** dc1 a DR primary through its agent, dc2 streaming from it (both agents with dc1's token), a DR operation token. */
/** With `gated`, dc2's agent reaches its Vault through a gate that can hold its requests. */
async function streamingPair({ gated = false } = {}) {
  const dc1 = await cluster('dc1')
  const dc2 = await cluster('dc2')
  const gate = gated ? await startVaultGate(dc2.apiUrl) : undefined
  if (gate !== undefined) fx.defer(() => gate.close())
  const { a1, a2, call, dirs } = await agents(dc1, dc2, true, gate?.url)
  expect((await call(a1, '/v1/dr/primary/enable', {})).status).toBe(200)
  const minted = await call(a1, '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
  // Activated with dc2's own token (its agent holds dc1's, which dc2 has once it holds dc1's data).
  const activated = await vault(dc2, 'sys/replication/dr/secondary/enable', { token: minted.json.token })
  expect(activated.status, JSON.stringify(activated.json)).toBeLessThan(300)
  await until('dc2 to stream', () => streamsFrom(dc2, 'dc2'))
  return { dc1, dc2, a1, a2, call, gate, dc2StateDir: dirs[dc2.name] as string, drToken: await drOperationToken(dc1) }
}

describe('the role changes of a switchover, through both agents (HashiCorp testcluster order)', () => {
  it('demote dc1, promote dc2, public key from dc1, token from dc2, update-primary on dc1: dc1 follows dc2, no wipe, no data lost', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const { a1, a2, call, logs } = await agents(dc1, dc2)
    expect((await call(a1, '/v1/dr/primary/enable', {})).status).toBe(200)
    const minted = await call(a1, '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    expect((await call(a2, '/v1/dr/secondary/activate', { token: minted.json.token, confirm_wipe: true })).status).toBe(
      200,
    )
    await until('dc2 to stream', () => streamsFrom(dc2, 'dc2'))
    const drToken = await drOperationToken(dc1)
    const written = dc1.faults.write()
    await until('dc2 to receive the last write', () => (dc2.state().drStatus as any).last_remote_wal >= written)

    // dc2's agent, its Vault token from the replicated data now (dc2's own was wiped at activation): the old
    // primary's, as HashiCorp's CI uses on the promoted cluster. Generate-public-key takes a client token.
    const a2Replicated = await buildSecondaryAgent(
      loadSecondaryAgentConfig({ VAULT_DR_API_TOKEN: TOKEN, VAULT_ADDR: dc2.apiUrl, VAULT_TOKEN: dc1.rootToken }),
      { logStream: logs },
    )
    fx.defer(() => a2Replicated.close())
    // With the token wiped at activation, Vault refuses it, and the agent says how to mend that.
    const wiped = await call(a2, '/v1/dr/secondary/generate-public-key')
    expect(wiped.json).toMatchObject({
      code: 'VAULT_ERR_PERMISSION_DENIED',
      fix: expect.stringContaining('give the agent a valid one (VAULT_TOKEN_FILE)'),
    })

    // createSecondaryToken with a secondary's public key: an unwrapped token, no claims to show.
    const dc2Key = await call(a2Replicated, '/v1/dr/secondary/generate-public-key')
    expect(dc2Key.status, dc2Key.body).toBe(200)
    const byKey = await call(a1, '/v1/dr/primary/secondary-token', {
      secondary_id: 'spare',
      secondary_public_key: dc2Key.json.secondary_public_key,
    })
    expect(byKey.status, byKey.body).toBe(201)
    expect(byKey.json).toMatchObject({ secondary_id: 'spare', token: expect.any(String) })
    expect((await call(a1, '/v1/dr/primary/revoke-secondary', { secondary_id: 'spare' })).json.revoked).toBe(true)
    // A key Vault cannot read is the caller's mistake: 400 naming the field, not a 502, and no id is taken.
    const badKey = await call(a1, '/v1/dr/primary/secondary-token', {
      secondary_id: 'spare-2',
      secondary_public_key: 'not-a-public-key-at-all',
    })
    expect(badKey.status, badKey.body).toBe(400)
    expect(badKey.json).toMatchObject({
      code: 'CORE_ERR_VALIDATION',
      errors: [{ path: 'body/secondary_public_key', message: expect.stringContaining('generateDrPublicKey') }],
      upstream: { service: 'vault', status: 400 },
    })
    expect(dc1.state().knownSecondaries).not.toContain('spare-2')

    // Promote refuses a primary, and the wrong side is told which it is.
    expect((await call(a1, '/v1/dr/secondary/promote', { dr_operation_token: drToken })).json.code).toBe(
      'AGENT_ERR_NOT_DR_SECONDARY',
    )

    const demoted = await call(a1, '/v1/dr/primary/demote')
    expect(demoted.status, demoted.body).toBe(200)
    expect(demoted.json).toMatchObject({ changed: true, status: { replication: { mode: 'secondary' } } })
    expect((await call(a1, '/v1/dr/primary/demote')).json.changed).toBe(false)

    const badToken = await call(a2, '/v1/dr/secondary/promote', { dr_operation_token: 'hvb.not-a-real-token-xyz' })
    expect(badToken.status, badToken.body).toBe(403)
    expect(badToken.json.code).toBe('AGENT_ERR_DR_OPERATION_TOKEN_REJECTED')

    const promoted = await call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken })
    expect(promoted.status, promoted.body).toBe(200)
    expect(promoted.json).toMatchObject({
      changed: true,
      status: { replication: { mode: 'primary', state: 'running' } },
    })
    expect(promoted.json.warnings.join(' ')).toContain('promoted')

    const key = await call(a1, '/v1/dr/secondary/generate-public-key')
    expect(key.status, key.body).toBe(200)
    // The agent next to the new primary mints, with the token from the replicated data.
    const a2AsPrimary = a2Replicated
    const token = await call(a2AsPrimary, '/v1/dr/primary/secondary-token', {
      secondary_id: 'dc1',
      secondary_public_key: key.json.secondary_public_key,
    })
    expect(token.status, token.body).toBe(201)
    const repointed = await call(a1, '/v1/dr/secondary/update-primary', {
      dr_operation_token: drToken,
      token: token.json.token,
    })
    expect(repointed.status, repointed.body).toBe(200)
    expect(repointed.json.changed).toBe(true)
    await until('dc1 to stream from dc2', () => streamsFrom(dc1, 'dc1'))
    expect((dc1.state().drStatus as any).cluster_id).toBe((dc2.state().drStatus as any).cluster_id)

    for (const secret of [drToken, token.json.token, minted.json.token, dc1.rootToken, dc2.rootToken]) {
      expect(logs.text).not.toContain(secret)
      for (const answer of [demoted, promoted, repointed, badToken]) expect(answer.body).not.toContain(secret)
    }
  })

  it('refuses bad input naming the field, and changes nothing', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const { a2, call } = await agents(dc1, dc2)
    for (const [payload, field] of [
      [{}, 'body/dr_operation_token'],
      [{ dr_operation_token: 'x' }, 'body/dr_operation_token'],
      [{ dr_operation_token: 'abcdefghij', forse: true }, 'forse'],
    ] as const) {
      const res = await call(a2, '/v1/dr/secondary/promote', payload)
      expect(res.status).toBe(400)
      expect(JSON.stringify(res.json.errors ?? res.json.detail)).toContain(field)
    }
    const both = await call(a2, '/v1/dr/secondary/update-primary', {
      dr_operation_token: 'abcdefghij',
      token: 'abc',
      update_primary_addrs: ['127.0.0.1:8201'],
    })
    expect(both.status).toBe(400)
    expect(JSON.stringify(both.json.errors)).toContain('body/token')
    expect(dc2.state().drMode).toBe('disabled')
  })

  it('a fence that arrives while a promote is at Vault waits for it, then demotes what it made: never "demoted" beside a new primary', async () => {
    const { dc2, a2, call, drToken, gate, dc2StateDir } = await streamingPair({ gated: true })
    if (gate === undefined) throw new Error('no gate in front of dc2')
    // The promote is admitted and held at dc2's Vault when the fence comes.
    gate.hold((path) => path === '/v1/sys/replication/dr/secondary/promote')
    const promoting = call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken })
    await gate.waiting()
    const fencing = a2.inject({
      method: 'POST',
      url: '/v1/dr/fence',
      headers: { ...AUTH, 'x-vault-dr-epoch': '7' },
      payload: { reason: 'test: failed away from' },
    })
    // The fence is recorded on disk before it waits its turn behind the promote; then the promote may land.
    await until('the fence to be recorded', () => existsSync(join(dc2StateDir, 'fence')))
    gate.release()
    const [promoted, fenced] = await Promise.all([promoting, fencing])
    expect(promoted.status, promoted.body).toBe(200)
    // The fence read the cluster only once the promote had settled: it found a primary and demoted it.
    expect(fenced.statusCode, fenced.body).toBe(200)
    expect(fenced.json(), fenced.body).toMatchObject({
      fenced: true,
      demoted: true,
      status: { replication: { mode: 'secondary' } },
    })
    expect(fenced.json().detail).toContain('Demoted')
    expect(dc2.state().drMode).toBe('secondary')
    // And no promote is admitted while the fence holds, under the fence's epoch or a later one.
    const again = await a2.inject({
      method: 'POST',
      url: '/v1/dr/secondary/promote',
      headers: { ...AUTH, 'x-vault-dr-epoch': '8' },
      payload: { dr_operation_token: drToken },
    })
    expect(again.json().code).toBe('AGENT_ERR_FENCED')
    expect(dc2.state().drMode).toBe('secondary')
  })

  it('refuses a role change asked while one asked earlier is still at Vault (409, never queued behind it)', async () => {
    const { dc2, a2, call, drToken, gate } = await streamingPair({ gated: true })
    if (gate === undefined) throw new Error('no gate in front of dc2')
    // A caller whose promote got no answer asks again, having read dc2 still a secondary before the first one landed:
    // queued, the second would run on that stale reading.
    gate.hold((path) => path === '/v1/sys/replication/dr/secondary/promote')
    const first = call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken })
    await gate.waiting()
    const [again, key] = await Promise.all([
      call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken }),
      call(a2, '/v1/dr/secondary/generate-public-key', {}),
    ])
    for (const refused of [again, key]) {
      expect(refused.status, refused.body).toBe(409)
      expect(refused.json).toMatchObject({ code: 'AGENT_ERR_OPERATION_IN_FLIGHT' })
      expect(refused.json.detail).toContain('A promote asked for earlier is still under way')
    }
    gate.release()
    expect((await first).status).toBe(200)
    expect(dc2.state().drMode).toBe('primary')
    // Once it has settled, the next change is taken (and refused by its own guard: dc2 is no DR secondary now).
    expect((await call(a2, '/v1/dr/secondary/promote', { dr_operation_token: drToken })).json.code).toBe(
      'AGENT_ERR_NOT_DR_SECONDARY',
    )
  })
})
