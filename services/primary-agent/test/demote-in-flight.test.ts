import { afterEach, describe, expect, it } from 'vitest'
import { startVaultInterposer } from './helpers/vault-interposer.ts'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

/**
 * Demote refuses a primary that still has an unfinished operation on it: a mint or revocation this agent has sent
 * Vault and not had answered. Demoting under it would cut it off half done (a token minted on a cluster that is no
 * longer the primary, a revocation that may or may not have happened).
 */
/** A stand-in for Vault that, once `hold()` was called, holds the requests to `path` until `release()`. */
async function holdAt(apiUrl: string, path: string) {
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let arrived: () => void = () => {}
  const reached = new Promise<void>((resolve) => {
    arrived = resolve
  })
  let holding = false
  const hop = await startVaultInterposer(apiUrl, async (request, forward) => {
    if (request.path !== path || !holding) return forward()
    arrived()
    await held
    return forward()
  })
  return {
    hop,
    reached,
    release: () => release(),
    hold: () => {
      holding = true
    },
  }
}

/** A role change carries the fencing epoch it acts under. */
const AT_EPOCH = { 'x-vault-dr-epoch': '1' }

describe('demoteDrPrimary while a mint or revocation is in flight', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  /** A DR primary whose agent reaches it through a hold at `path`. */
  async function primaryHeldAt(path: string) {
    const cluster = await startTestCluster()
    const held = await holdAt(cluster.apiUrl, path)
    const agent = await startPrimaryAgent(cluster, { VAULT_ADDR: held.hop.url })
    closers.push(
      () => agent.close(),
      () => held.hop.close(),
      () => cluster.close(),
    )
    expect((await agent.call('POST', '/v1/dr/primary/enable', {})).status).toBe(200)
    return { cluster, agent, ...held }
  }

  it.each([
    ['mint', '/v1/dr/primary/secondary-token', { secondary_id: 'dc2' }],
    ['revoke', '/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' }],
  ])(
    'refuses with 409 AGENT_ERR_OPERATION_IN_FLIGHT during a %s, and demotes once it answered',
    async (kind, url, body) => {
      const { cluster, agent, reached, release, hold } = await primaryHeldAt(`/v1/sys/replication${url.slice(3)}`)
      // An id to revoke: minted before anything is held.
      if (kind === 'revoke') expect((await agent.call('POST', '/v1/dr/primary/secondary-token', body)).status).toBe(201)
      hold()

      const inFlight = agent.call('POST', url, body)
      await reached
      const refused = await agent.call('POST', '/v1/dr/primary/demote', undefined, undefined, AT_EPOCH)
      expect(refused.status).toBe(409)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      expect(refused.json).toMatchObject({
        code: 'AGENT_ERR_OPERATION_IN_FLIGHT',
        detail: `In flight on this agent: ${kind}.`,
        fix: expect.stringContaining('wait until'),
      })
      expect(cluster.state().drMode).toBe('primary')

      release()
      expect((await inFlight).status).toBeLessThan(300)
      const demoted = await agent.call('POST', '/v1/dr/primary/demote', undefined, undefined, AT_EPOCH)
      expect(demoted.status, JSON.stringify(demoted.json)).toBe(200)
      expect(cluster.state().drMode).toBe('secondary')
    },
  )

  it('refuses a mint or revocation with 409 AGENT_ERR_OPERATION_IN_FLIGHT while a demote is in flight', async () => {
    const { cluster, agent, reached, release, hold } = await primaryHeldAt('/v1/sys/replication/dr/primary/demote')
    hold()
    const demoting = agent.call('POST', '/v1/dr/primary/demote', undefined, undefined, AT_EPOCH)
    await reached
    for (const [url, body] of [
      ['/v1/dr/primary/secondary-token', { secondary_id: 'dc2' }],
      ['/v1/dr/primary/revoke-secondary', { secondary_id: 'dc2' }],
    ] as const) {
      const refused = await agent.call('POST', url, body)
      expect(refused.status, url).toBe(409)
      expect(refused.json).toMatchObject({
        code: 'AGENT_ERR_OPERATION_IN_FLIGHT',
        detail: 'A demote of the cluster is in flight on this agent.',
        fix: expect.stringContaining('ask again once the demote has answered'),
      })
    }
    release()
    expect((await demoting).status).toBe(200)
    expect(cluster.state().drMode).toBe('secondary')
  })
})
