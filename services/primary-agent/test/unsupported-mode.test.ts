import { afterEach, describe, expect, it } from 'vitest'
import { startVaultInterposer } from './helpers/vault-interposer.ts'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

describe('a Vault whose DR status says "mode":"unsupported" (field note 17: no DR on this storage or licence)', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  it('getPrimaryStatus reports mode unknown and, beside it, reported_mode "unsupported"', async () => {
    const cluster = await startTestCluster({ rootToken: 'root-token-unsupported' })
    const hop = await startVaultInterposer(cluster.apiUrl, async (request, forward) =>
      request.path.startsWith('/v1/sys/replication/dr/status')
        ? { status: 200, body: JSON.stringify({ data: { mode: 'unsupported' } }) }
        : forward(),
    )
    const agent = await startPrimaryAgent(cluster, { VAULT_ADDR: hop.url })
    closers.push(
      () => agent.close(),
      () => hop.close(),
      () => cluster.close(),
    )
    for (const url of ['/v1/status?max_age_ms=0', '/v1/status?max_age_ms=0&secondary_id=dc2']) {
      const res = await agent.call('GET', url)
      expect(res.status).toBe(200)
      expect(res.json.replication).toMatchObject({ mode: 'unknown', reported_mode: 'unsupported' })
    }
  })
})
