import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

/** When the status read fails, the answer is the Vault error of why (with its fix), never a guess at the DR mode. */
describe('a Vault that cannot be asked', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  async function primaryWithSecondary(opts: Parameters<typeof startTestCluster>[0] = {}) {
    const cluster = await startTestCluster({ rootToken: 'root-token-primary-test', ...opts })
    const agent = await startPrimaryAgent(cluster)
    closers.push(
      () => agent.close(),
      () => cluster.close(),
    )
    return { cluster, agent }
  }

  const knownSecondaries = (cluster: ClusterHandle) => cluster.state().knownSecondaries

  it('revokeSecondary on a stopped Vault answers VAULT_ERR_UNREACHABLE, not "enable DR primary first"', async () => {
    const { cluster, agent } = await primaryWithSecondary()
    await agent.call('POST', '/v1/dr/primary/enable', {})
    expect((await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })).status).toBe(201)
    await cluster.faults.stop()

    const res = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' })
    expect(res.status).toBe(502)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json).toMatchObject({ code: 'VAULT_ERR_UNREACHABLE', upstream: { service: 'vault' } })
    expect(res.json.fix).toContain('VAULT_ADDR')
    expect(res.json.fix).not.toContain('Enable DR primary')

    await cluster.faults.start()
    expect(knownSecondaries(cluster)).toContain('dc2')
  })

  it('revokeSecondary on a sealed Vault answers VAULT_ERR_SEALED with the fix to unseal', async () => {
    const { cluster, agent } = await primaryWithSecondary()
    await agent.call('POST', '/v1/dr/primary/enable', {})
    await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' })
    cluster.faults.seal()

    const res = await agent.call('POST', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' })
    expect(res.status).toBe(503)
    expect(res.json.code).toBe('VAULT_ERR_SEALED')
    expect(res.json.fix).toMatch(/unseal/i)
    cluster.faults.unseal()
    expect(knownSecondaries(cluster)).toContain('dc2')
  })

  it('enable, mint and revoke on a Vault whose certificate is not trusted all answer VAULT_ERR_TLS: set VAULT_CACERT', async () => {
    const { cluster, agent } = await primaryWithSecondary({ tls: true })
    for (const [url, body] of [
      ['/v1/dr/primary/enable', {}],
      ['/v1/dr/primary/secondary-token', { secondary_id: 'dc2' }],
      ['/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' }],
    ] as const) {
      const res = await agent.call('POST', url, body)
      expect({ url, status: res.status, code: res.json.code }).toEqual({ url, status: 502, code: 'VAULT_ERR_TLS' })
      expect(res.json.fix).toContain('VAULT_CACERT')
    }
    expect(cluster.state().drMode).toBe('disabled')
  })
})
