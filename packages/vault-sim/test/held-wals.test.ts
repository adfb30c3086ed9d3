import { describe, expect, it } from 'vitest'
import { drStatus, replicate, useClusters, waitForCaughtUp } from './helpers/clusters.ts'

describe('holdWals: a secondary that falls behind while connected', () => {
  const start = useClusters()

  it('applies nothing streamed while held, stays connected, and applies it all in order once released', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await waitForCaughtUp(primary, secondary)
    const before = await drStatus(secondary)

    secondary.faults.holdWals(true)
    primary.faults.write('held/1')
    const last = primary.faults.write('held/2')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const held = await drStatus(secondary)
    expect(held).toMatchObject({
      state: 'stream-wals',
      last_remote_wal: before.last_remote_wal,
      merkle_root: before.merkle_root,
    })
    expect(last).toBeGreaterThan(before.last_remote_wal as number)

    secondary.faults.holdWals(false)
    await waitForCaughtUp(primary, secondary)
    expect(await drStatus(secondary)).toMatchObject({ last_remote_wal: last })
  })
})
