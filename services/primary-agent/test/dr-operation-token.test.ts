import { DR_OPERATION_POLICY } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

let cluster: ClusterHandle
let agent: Awaited<ReturnType<typeof startPrimaryAgent>>

beforeEach(async () => {
  cluster = await startTestCluster({ rootToken: 'root-token-dr-operation-test' })
  agent = await startPrimaryAgent(cluster)
})
afterEach(async () => {
  await agent.close()
  await cluster.close()
})

/** Asks the cluster itself, with its root token, what a path holds. */
async function vaultRead(path: string, token = cluster.rootToken) {
  const res = await fetch(`${cluster.apiUrl}/v1/${path}`, { headers: { 'x-vault-token': token } })
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> }
}

describe('createDrOperationToken', () => {
  it('writes the policy and token role once, issues batch tokens with the default 8h TTL, answered once', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const first = await agent.call('POST', '/v1/dr/operation-token', {})
    expect(first.status).toBe(201)
    expect(first.headers['cache-control']).toBe('no-store')
    expect(first.json).toMatchObject({
      policy: 'vault-dr-dr-operation',
      role: 'vault-dr-dr-operation',
      ttl_seconds: 28_800,
      changed: { policy: true, role: true },
    })
    expect(Date.parse(first.json.expires_at) - Date.parse(first.json.issued_at)).toBe(28_800_000)
    expect(first.json.primary_cluster_id).toEqual(expect.any(String))

    const policy = await vaultRead('sys/policies/acl/vault-dr-dr-operation')
    expect(policy.body.data.policy).toBe(DR_OPERATION_POLICY)
    const role = await vaultRead('auth/token/roles/vault-dr-dr-operation')
    expect(role.body.data).toMatchObject({
      allowed_policies: ['vault-dr-dr-operation'],
      orphan: true,
      renewable: false,
      token_type: 'batch',
    })

    const second = await agent.call('POST', '/v1/dr/operation-token', { ttl: '30m' })
    expect(second.status).toBe(201)
    expect(second.json).toMatchObject({ ttl_seconds: 1800, changed: { policy: false, role: false } })
    expect(second.json.token).not.toBe(first.json.token)

    const looked = await vaultRead('auth/token/lookup-self', second.json.token)
    expect(looked.body.data).toMatchObject({
      type: 'batch',
      policies: expect.arrayContaining(['vault-dr-dr-operation']),
    })
    for (const token of [first.json.token, second.json.token]) expect(agent.logs.text()).not.toContain(token)
  })

  it('puts back a policy and role that were changed by hand', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    await agent.call('POST', '/v1/dr/operation-token', {})
    await fetch(`${cluster.apiUrl}/v1/sys/policies/acl/vault-dr-dr-operation`, {
      method: 'POST',
      headers: { 'x-vault-token': cluster.rootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ policy: 'path "sys/health" { capabilities = ["read"] }' }),
    })
    const res = await agent.call('POST', '/v1/dr/operation-token', {})
    expect(res.json.changed).toEqual({ policy: true, role: false })
    expect((await vaultRead('sys/policies/acl/vault-dr-dr-operation')).body.data.policy).toBe(DR_OPERATION_POLICY)
  })

  it('uses VAULT_DR_OPERATION_TOKEN_TTL when the request names none', async () => {
    await agent.close()
    agent = await startPrimaryAgent(cluster, { VAULT_DR_OPERATION_TOKEN_TTL: '2h' })
    await agent.call('POST', '/v1/dr/primary/enable', {})
    const res = await agent.call('POST', '/v1/dr/operation-token', {})
    expect(res.json.ttl_seconds).toBe(7200)
  })

  it('refuses a cluster that is not a DR primary, and writes nothing', async () => {
    const res = await agent.call('POST', '/v1/dr/operation-token', {})
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('PRIMARY_ERR_NOT_PRIMARY')
    expect((await vaultRead('sys/policies/acl/vault-dr-dr-operation')).status).toBe(404)
  })

  it('answers a malformed ttl or an unknown field with a 400 naming it', async () => {
    const ttl = await agent.call('POST', '/v1/dr/operation-token', { ttl: 'eight hours' })
    expect(ttl.status).toBe(400)
    expect(ttl.json.detail).toContain('ttl')
    const extra = await agent.call('POST', '/v1/dr/operation-token', { tll: '8h' })
    expect(extra.status).toBe(400)
    expect(extra.json.detail).toContain('tll')
  })

  it('maps a sealed Vault to a coded error with a fix', async () => {
    await agent.call('POST', '/v1/dr/primary/enable', {})
    cluster.faults.seal()
    const res = await agent.call('POST', '/v1/dr/operation-token', {})
    expect(res.status).toBe(503)
    expect(res.json.code).toBe('VAULT_ERR_SEALED')
    expect(res.json.fix).toEqual(expect.any(String))
  })
})
