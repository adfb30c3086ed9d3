import { describe, expect, it } from 'vitest'
import { drStatus, replicate, useClusters, waitForActive } from './helpers/clusters.ts'
import { drCall } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

describe('a demote right after a write (the switchover catch-up depends on it)', () => {
  const start = useClusters()

  it('the secondary still receives every WAL the primary wrote before it demoted', async () => {
    // Rounds in which the write got in before the demote: the ones this test is about.
    let writesFirst = 0
    for (let round = 0; round < 12; round++) {
      const primary = await start({ name: 'dc1' })
      const secondary = await start({ name: 'dc2' })
      await replicate(primary, secondary)
      // Both requests are held as long, so Vault handles them within a millisecond or two of each other.
      primary.faults.setLatency(100)
      const write = vault('POST', `${primary.apiUrl}/v1/secret/data/race/${round}`, {
        token: primary.rootToken,
        body: { data: { round } },
      })
      await new Promise((resolve) => setTimeout(resolve, round % 3))
      const demote = drCall(primary, 'primary/demote', {}, primary.rootToken)
      const [written, demoted] = await Promise.all([write, demote])
      expect(demoted.status).toBe(200)
      primary.faults.setLatency(0)
      // A demoted primary still reports the last WAL it wrote in sys/health, once it has an active node again.
      await waitForActive(primary)
      const health = await vault('GET', `${primary.apiUrl}/v1/sys/health?drsecondarycode=200`)
      const lastWal = (health.body as { last_wal: number }).last_wal
      if (written.status === 200) {
        writesFirst++
        expect(lastWal).toBeGreaterThan(0)
      }
      await waitFor(
        () => drStatus(secondary),
        (s) => s.last_remote_wal === lastWal,
        { what: `dc2 to hold WAL ${lastWal} (round ${round})`, timeoutMs: 3_000 },
      )
      await Promise.all([primary.close(), secondary.close()])
    }
    expect(writesFirst).toBeGreaterThan(0)
  }, 90_000)
})
