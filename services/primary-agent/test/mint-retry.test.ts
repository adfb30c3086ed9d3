import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import { type Interpose, startVaultInterposer, vaultErrors } from './helpers/vault-interposer.ts'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

const MINT_PATH = '/v1/sys/replication/dr/primary/secondary-token'

/**
 * Right after a role change, or through a load balancer that lands on a node without the latest state, Vault answers
 * secondary-token with 412 "required index state not present" or 503 for a moment (hashicorp/vault#24400; fact sheet
 * §1.3, §6.3). The agent rides over that instead of failing the handshake's mint.
 */
describe('createSecondaryToken while Vault is briefly not ready', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  /** A DR primary behind a hop whose answers to secondary-token `mint` decides; every other call reaches Vault. */
  async function primaryAnswering(mint: Interpose, env: Record<string, string> = {}) {
    const cluster: ClusterHandle = await startTestCluster({ rootToken: 'root-token-mint-retry' })
    const mints: string[] = []
    const hop = await startVaultInterposer(cluster.apiUrl, (request, forward) => {
      if (request.path !== MINT_PATH) return forward()
      mints.push(request.method)
      return mint(request, forward)
    })
    const agent = await startPrimaryAgent(cluster, { VAULT_ADDR: hop.url, ...env })
    closers.push(
      () => agent.close(),
      () => hop.close(),
      () => cluster.close(),
    )
    expect((await agent.call('POST', '/v1/dr/primary/enable', {})).status).toBe(200)
    return { cluster, agent, mints }
  }

  /** Answers `answer` to every mint for `ms` after the first one, then lets Vault answer. */
  const notReadyFor = (ms: number, answer: () => ReturnType<typeof vaultErrors>): Interpose => {
    let since: number | undefined
    return async (_request, forward) => {
      since ??= Date.now()
      return Date.now() - since < ms ? answer() : forward()
    }
  }

  it.each([
    ['412 required index state not present', () => vaultErrors(412, 'required index state not present')],
    ['503 with no message', () => vaultErrors(503)],
    ['503 Vault is sealed', () => vaultErrors(503, 'Vault is sealed')],
  ])('mints once Vault stops answering %s (about 1.5 s)', async (_what, answer) => {
    const { cluster, agent, mints } = await primaryAnswering(notReadyFor(1_500, answer))
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '5m' })
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    expect(res.json.token).toMatch(/^eyJ/)
    expect(cluster.state().knownSecondaries).toEqual(['dc2'])
    expect(mints.length).toBeGreaterThan(3)
  })

  it('gives up after its bound (here VAULT_DR_WAIT_TIMEOUT_MS, 1 s) with VAULT_ERR_NOT_READY, its cause and fix', async () => {
    const { cluster, agent } = await primaryAnswering(
      async () => vaultErrors(412, 'required index state not present'),
      { VAULT_DR_WAIT_TIMEOUT_MS: '1000' },
    )
    const started = performance.now()
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '5m' })
    const took = performance.now() - started
    expect(res.status).toBe(503)
    expect(res.json).toMatchObject({
      code: 'VAULT_ERR_NOT_READY',
      upstream: { service: 'vault', status: 412, errors: ['required index state not present'] },
    })
    expect(res.json.fix).toContain('active node')
    expect(took).toBeGreaterThan(500)
    expect(took).toBeLessThan(3_000)
    expect(cluster.state().knownSecondaries).toEqual([])
  })

  it('a mint Vault did behind a 503 is not done twice: the repeat answers 409 PRIMARY_ERR_SECONDARY_EXISTS', async () => {
    // The gateway answers that code by revoking the id, which no secondary used, and minting again.
    let first = true
    const { cluster, agent } = await primaryAnswering(async (_request, forward) => {
      if (!first) return forward()
      first = false
      await forward()
      return vaultErrors(503)
    })
    const res = await agent.call('POST', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2', ttl: '5m' })
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('PRIMARY_ERR_SECONDARY_EXISTS')
    expect(cluster.state().knownSecondaries).toEqual(['dc2'])
  })
})
