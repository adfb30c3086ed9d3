import { describe, expect, it } from 'vitest'
import { AUTH, drStatus, enablePrimary, useHarness } from './helpers/harness.ts'
import { startVaultPathOverride } from './helpers/vault-path-override.ts'

describe('a role change overtaken by a higher fencing epoch while it read its cluster', () => {
  const h = useHarness()

  it('is refused before Vault is asked (AGENT_ERR_STALE_EPOCH), and the cluster keeps its role', async () => {
    const primary = await h.cluster()
    await enablePrimary(primary)
    let agent: Awaited<ReturnType<typeof h.agent>>['app'] | undefined
    let overtake = false
    // While the demote's guard reads the DR status, a call under a higher epoch (another gateway's role change) is let
    // in by the same agent.
    const hop = await startVaultPathOverride(
      primary.apiUrl,
      { method: 'GET', path: 'sys/replication/dr/status' },
      {
        rewrite: async (answered) => {
          if (overtake && agent !== undefined) {
            overtake = false
            const confirm = await agent.inject({
              method: 'POST',
              url: '/v1/dr/serving/confirm',
              headers: { ...AUTH, 'x-vault-dr-epoch': '2' },
              payload: { checked_at: new Date().toISOString(), episode: 'another-gateway-read' },
            })
            // Let in (its epoch recorded), then refused for its own reasons: the episode is not the agent's.
            expect(confirm.json()).toMatchObject({ code: 'AGENT_ERR_SERVING_EPISODE_CHANGED' })
          }
          return answered
        },
      },
    )
    h.defer(hop.close)
    const { app } = await h.agent({ ...primary, apiUrl: hop.url })
    agent = app
    overtake = true

    const res = await app.inject({
      method: 'POST',
      url: '/v1/dr/primary/demote',
      headers: { ...AUTH, 'x-vault-dr-epoch': '1' },
    })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json()).toMatchObject({ code: 'AGENT_ERR_STALE_EPOCH' })
    expect(res.json().detail).toContain('carries epoch 1; this agent has seen epoch 2')
    expect(overtake).toBe(false)
    expect(await drStatus(primary)).toMatchObject({ mode: 'primary' })
  })
})
