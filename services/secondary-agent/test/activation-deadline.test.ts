import { describe, expect, it } from 'vitest'
import { activate, drStatus, enablePrimary, mintToken, useHarness } from './helpers/harness.ts'

describe('the activation call', () => {
  const h = useHarness()

  it('may outlast VAULT_DR_VAULT_TIMEOUT_MS: Vault answers it only after unwrapping on the primary', async () => {
    const primary = await h.cluster()
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const token = await mintToken(primary, 'dc2')
    // Every call to the primary's API, the secondary's unwrap included, takes longer than an ordinary call may.
    primary.faults.setLatency(600)
    const { app } = await h.agent(secondary, { vaultTimeoutMs: 300, waitTimeoutMs: 10_000 })
    const res = await activate(app, { token, confirm_wipe: true })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().activated).toBe(true)
    expect((await drStatus(secondary)).mode).not.toBe('disabled')
  })
})
