import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import {
  drStatus,
  enableSecondary,
  errorsOf,
  replicate,
  useClusters,
  waitForHealth,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken, mintServiceToken } from './helpers/dr-tokens.ts'
import { vault } from './helpers/vault-http.ts'

// The agents' policies as the project README documents them.
const PRIMARY_AGENT_POLICY = `
path "sys/replication/dr/primary/enable"           { capabilities = ["create", "update"] }
path "sys/replication/dr/primary/secondary-token"  { capabilities = ["create", "update", "sudo"] }
path "sys/replication/dr/primary/revoke-secondary" { capabilities = ["create", "update"] }`
const SECONDARY_AGENT_POLICY = `
path "sys/replication/dr/secondary/enable"         { capabilities = ["create", "update"] }`

async function tokenWithPolicy(cluster: ClusterHandle, name: string, policy: string): Promise<string> {
  const put = await vault('PUT', `${cluster.apiUrl}/v1/sys/policies/acl/${name}`, {
    token: cluster.rootToken,
    body: { policy },
  })
  expect(put.status).toBe(204)
  return mintServiceToken(cluster, [name])
}

describe('writes to sys/replication paths are update operations', () => {
  const start = useClusters()

  it('refuses a token whose policy grants only create', async () => {
    const cluster = await start({ name: 'dc1' })
    const createOnly = await tokenWithPolicy(
      cluster,
      'create-only',
      'path "sys/replication/dr/primary/enable" { capabilities = ["create"] }',
    )
    const refused = await drCall(cluster, 'primary/enable', {}, createOnly)
    expect(refused.status).toBe(403)
    expect(errorsOf(refused.body)).toEqual(['permission denied'])
    expect((await drStatus(cluster)).mode).toBe('disabled')
  })

  it("accepts the README's agent policies for every step they cover", async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const primaryAgent = await tokenWithPolicy(primary, 'vault-dr-primary-agent', PRIMARY_AGENT_POLICY)
    const secondaryAgent = await tokenWithPolicy(secondary, 'vault-dr-secondary-agent', SECONDARY_AGENT_POLICY)

    expect((await drCall(primary, 'primary/enable', {}, primaryAgent)).status).toBe(200)
    await waitForHealth(primary, 200)
    const minted = await drCall(primary, 'primary/secondary-token', { id: 'dc2' }, primaryAgent)
    expect(minted.status).toBe(200)
    const activation = await enableSecondary(
      { ...secondary, rootToken: secondaryAgent },
      {
        token: minted.body.wrap_info?.token,
      },
    )
    expect(activation.status).toBe(200)
    await waitForStreaming(secondary)
    expect((await drCall(primary, 'primary/secondary-token', { id: 'dc3' }, primaryAgent)).status).toBe(200)
    expect((await drCall(primary, 'primary/revoke-secondary', { id: 'dc3' }, primaryAgent)).status).toBe(204)
  })

  it('refuses a batch dr_operation_token whose policy grants only create', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const createOnly = await mintBatchDrToken(primary, { name: 'promote-create-only', capabilities: ['create'] })
    await replicate(primary, secondary)
    const refused = await drCall(secondary, 'secondary/promote', { dr_operation_token: createOnly })
    expect(refused.status).toBe(403)
    expect((await drStatus(secondary)).mode).toBe('secondary')
  })
})
