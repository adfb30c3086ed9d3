import { describe, expect, it } from 'vitest'
import { drStatus, replicate, useClusters, waitForCaughtUp } from './helpers/clusters.ts'
import { waitFor } from './helpers/vault-http.ts'

/**
 * A secondary that reconnects resumes streaming from its last WAL while the primary's log shipper buffer holds every
 * WAL it missed, and goes through a merkle sync otherwise (API §8, FN §3.1: the WAL stream's start point, the guard).
 * Its merkle sync is made to last a minute here, so a sync cannot pass unseen.
 */
describe("a reconnecting secondary and the primary's WAL buffer", () => {
  const start = useClusters()

  async function cutOffWithWrites(options: { walBufferEntries?: number; writes: number; dropBuffer?: boolean }) {
    const primary = await start({ name: 'dc1', walBufferEntries: options.walBufferEntries })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    secondary.faults.setTimings({ merkleSyncMs: 60_000 })
    await primary.faults.closeClusterListener()
    await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready',
      { what: 'the secondary to lose its primary' },
    )
    const missedFrom = secondary.state().lastWal
    for (let i = 0; i < options.writes; i++) primary.faults.write()
    if (options.dropBuffer) primary.faults.dropWalBuffer()
    await primary.faults.reopenClusterListener()
    return { primary, secondary, missedFrom }
  }

  it('resumes streaming from its last WAL when the buffer holds what it missed: no merkle sync', async () => {
    const { primary, secondary, missedFrom } = await cutOffWithWrites({ writes: 5 })
    expect(primary.state().lastWal).toBe(missedFrom + 5)
    await waitForCaughtUp(primary, secondary)
    const streaming = await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'stream-wals' && s.connection_state === 'ready',
      { what: 'stream-wals' },
    )
    const primaryNow = await drStatus(primary)
    expect(streaming).toMatchObject({ last_remote_wal: primaryNow.last_wal, merkle_root: primaryNow.merkle_root })
    expect(streaming.merkle_sync_progress).toBeUndefined()
  })

  it.each([
    ['it missed more WALs than the buffer holds', { walBufferEntries: 3, writes: 4 }],
    ['the buffer was dropped', { writes: 1, dropBuffer: true }],
  ])('goes through a merkle sync when %s', async (_, options) => {
    const { secondary, missedFrom } = await cutOffWithWrites(options)
    const syncing = await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'merkle-sync',
      { what: 'merkle-sync' },
    )
    expect(syncing.connection_state).toBe('ready')
    expect(secondary.state().lastWal).toBe(missedFrom)
  })
})
