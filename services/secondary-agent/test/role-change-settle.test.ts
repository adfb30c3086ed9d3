import { describe, expect, it } from 'vitest'
import { AUTH, enablePrimary, useHarness } from './helpers/harness.ts'
import { startVaultPathOverride } from './helpers/vault-path-override.ts'

describe('a role change settles once its cluster has an active node again', () => {
  const h = useHarness()

  it('demote: the status it answers is read from the active node, with its last WAL', async () => {
    const primary = await h.cluster()
    await enablePrimary(primary)
    // After the demote, sys/health answers three times as in the window with no active node (a standby, without
    // last_wal) while the DR status already answers as a secondary: what a read across the window's end sees.
    let windowAnswers = 0
    const hop = await startVaultPathOverride(
      primary.apiUrl,
      { method: 'GET', path: 'sys/health' },
      {
        rewrite: (answered) => {
          const { last_wal: _, ...health } = JSON.parse(answered.body) as Record<string, unknown>
          if (health.replication_dr_mode !== 'secondary' || windowAnswers >= 3) return answered
          windowAnswers += 1
          return { status: 429, body: JSON.stringify({ ...health, standby: true }) }
        },
      },
    )
    h.defer(hop.close)
    const { app } = await h.agent({ ...primary, apiUrl: hop.url })

    const res = await app.inject({
      method: 'POST',
      url: '/v1/dr/primary/demote',
      headers: { ...AUTH, 'x-vault-dr-epoch': '1' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(windowAnswers).toBe(3)
    expect(res.json().status.vault).toMatchObject({ ha_role: 'active', last_wal: expect.any(Number) })
  })
})
