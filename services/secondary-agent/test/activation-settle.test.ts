import { describe, expect, it } from 'vitest'
import { activate, drStatus, enablePrimary, fastTimings, health, mintToken, useHarness } from './helpers/harness.ts'

// Vault answers secondary/enable, then is "unavailable until these tasks and initial sync complete".
const slowSetup = { ...fastTimings, restartMs: 1_200 }

describe('the activation answers once Vault answers again', () => {
  const h = useHarness()

  async function activateSlowSetup(options: { waitTimeoutMs?: number } = {}) {
    const primary = await h.cluster()
    await enablePrimary(primary)
    const secondary = await h.cluster({ timings: slowSetup })
    const { app } = await h.agent(secondary, options)
    const token = await mintToken(primary, 'dc2')
    const res = await activate(app, { token, confirm_wipe: true })
    expect(res.statusCode, res.body).toBe(200)
    return { secondary, body: res.json() }
  }

  it('waits out the moment with no active node, and answers with the status Vault gives then', async () => {
    const { secondary, body } = await activateSlowSetup()
    expect(body.activated).toBe(true)
    expect(['secondary', 'bootstrapping']).toContain(body.status.replication?.mode)
    // Vault answers its DR status again: a caller can go on at once.
    expect((await health(secondary)).body?.standby).toBe(false)
    expect(['secondary', 'bootstrapping']).toContain((await drStatus(secondary)).mode)
  })

  it('waits a bounded time only (VAULT_DR_WAIT_TIMEOUT_MS): activated all the same, with a warning', async () => {
    const { body } = await activateSlowSetup({ waitTimeoutMs: 200 })
    expect(body.activated).toBe(true)
    expect(body.warnings.join(' ')).toContain('did not answer as a DR secondary within 200 ms')
    // Answered inside Vault's setup: its DR status could not be read yet.
    expect(body.status.replication).toBeNull()
  })
})
