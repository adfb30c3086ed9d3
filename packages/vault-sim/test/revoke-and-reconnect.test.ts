import { describe, expect, it } from 'vitest'
import { drStatus, replicate, useClusters, waitForStreaming } from './helpers/clusters.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

describe('losing the primary', () => {
  const start = useClusters()

  it('revoke-secondary drops the connection, forgets the id and keeps the secondary out', async () => {
    const lines: string[] = []
    const primary = await start({ name: 'dc1', logger: (line) => lines.push(line) })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)

    const revoke = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/revoke-secondary`, {
      token: primary.rootToken,
      body: { id: 'dc2' },
    })
    expect(revoke.status).toBe(204)
    expect(await drStatus(primary)).toMatchObject({ known_secondaries: [], secondaries: [] })

    const dropped = await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'idle' && s.primaries?.[0]?.connection_status === 'disconnected',
      { what: 'the secondary to notice the revocation' },
    )
    expect(['transient_failure', 'connecting']).toContain(dropped.connection_state)
    // It keeps trying and keeps being refused.
    await waitFor(
      () => lines.filter((l) => l.includes('refused secondary "dc2"')).length,
      (n) => n >= 2,
      { what: 'two refused reconnects' },
    )
    expect((await drStatus(secondary)).state).toBe('idle')
    expect(primary.state().connectedSecondaries).toEqual([])
  })

  it('marks the primary disconnected while it is stopped, then reconnects and streams again', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)

    await primary.faults.stop()
    const lost = await waitFor(
      () => drStatus(secondary),
      (s) => s.primaries?.[0]?.connection_status === 'disconnected',
      { what: 'the secondary to lose its primary' },
    )
    expect(lost.state).toBe('idle')
    expect(['transient_failure', 'connecting']).toContain(lost.connection_state)
    expect(primary.state()).toMatchObject({ apiListening: false, clusterListening: false, drMode: 'primary' })

    await primary.faults.start()
    await waitForStreaming(secondary)
    const lastWal = primary.faults.write('sim/after-restart')
    const caughtUp = await waitFor(
      () => drStatus(secondary),
      (s) => s.last_remote_wal === lastWal,
      { what: 'WALs written after the restart' },
    )
    expect(caughtUp.merkle_root).toBe((await drStatus(primary)).merkle_root)
    expect((await drStatus(primary)).secondaries?.[0]?.connection_status).toBe('connected')
  })

  it('reconnects after the cluster listener is closed and reopened, and follows a write load', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)

    await primary.faults.closeClusterListener()
    await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready',
      { what: 'the stream to drop' },
    )
    const stopLoad = primary.faults.startWriteLoad(100)
    await primary.faults.reopenClusterListener()
    await waitForStreaming(secondary)
    await waitFor(
      () => primary.state().lastWal,
      (wal) => wal > 10,
      { what: 'the write load' },
    )
    stopLoad()
    const target = primary.state()
    const caughtUp = await waitFor(
      () => drStatus(secondary),
      (s) => s.last_remote_wal === target.lastWal,
      { what: 'the secondary to catch up with the load' },
    )
    expect(caughtUp.merkle_root).toBe(target.merkleRoot)
  })

  it('pauses replication while the primary is sealed', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    primary.faults.seal()
    await waitFor(
      () => drStatus(secondary),
      (s) => s.primaries?.[0]?.connection_status === 'disconnected',
      { what: 'the stream to stop' },
    )
    primary.faults.unseal()
    await waitForStreaming(secondary)
  })
})
