import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  fastTimings,
  replicate,
  secondaryToken,
  useClusters,
  waitForHealth,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { waitFor } from './helpers/vault-http.ts'

const WARN_DEMOTE =
  'This cluster is being demoted to a replication secondary. Vault will be unavailable for a brief period and will resume service shortly.'
const WARN_PROMOTE =
  'This cluster is being promoted to a replication primary. Vault will be unavailable for a brief period and will resume service shortly.'
const WARN_DISABLE =
  'This cluster is having replication disabled. Vault will be unavailable for a brief period and will resume service shortly.'

async function waitForCatchUp(primary: ClusterHandle, secondary: ClusterHandle) {
  const target = await drStatus(primary)
  return waitFor(
    () => drStatus(secondary),
    (s) => s.last_remote_wal === target.last_wal && s.merkle_root === target.merkle_root,
    { what: `${secondary.name} to catch up with ${primary.name}` },
  )
}

describe('failover with a batch DR operation token', () => {
  const start = useClusters()

  it('demotes the primary, promotes the secondary, re-points the old primary, then disables it', async () => {
    const dc1 = await start({ name: 'dc1' })
    const dc2 = await start({ name: 'dc2' })
    const stranger = await start({ name: 'dc9' })
    await replicate(dc1, dc2)
    const replicationSet = (await drStatus(dc1)).cluster_id
    const drToken = await mintBatchDrToken(dc1)
    const foreignToken = await mintBatchDrToken(stranger)
    await waitForCatchUp(dc1, dc2)

    // Promotion is unauthenticated; the body's dr_operation_token is the credential.
    expect((await drCall(dc2, 'secondary/promote')).status).toBe(400)
    expect((await drCall(dc2, 'secondary/promote', { dr_operation_token: 'hvs.bogus' })).status).toBe(403)
    expect((await drCall(dc2, 'secondary/promote', { dr_operation_token: foreignToken })).status).toBe(403)

    const demote = await drCall(dc1, 'primary/demote', {}, dc1.rootToken)
    expect(demote.status).toBe(200)
    expect(demote.body.warnings).toEqual([WARN_DEMOTE])
    await waitForHealth(dc1, 472)
    expect(await drStatus(dc1)).toMatchObject({ mode: 'secondary', state: 'idle', cluster_id: replicationSet })

    const promote = await drCall(dc2, 'secondary/promote', { dr_operation_token: drToken })
    expect(promote.status).toBe(200)
    expect(promote.body.warnings).toEqual([WARN_PROMOTE])
    await waitForHealth(dc2, 200)
    expect(await drStatus(dc2)).toMatchObject({
      mode: 'primary',
      state: 'running',
      known_secondaries: [],
      cluster_id: replicationSet,
    })

    // Fail back: the new primary issues a token (dc2 holds dc1's root token since its activation),
    // and the old primary follows it without a wipe.
    const token = await secondaryToken({ ...dc2, rootToken: dc1.rootToken }, 'dc1')
    const update = await drCall(dc1, 'secondary/update-primary', { dr_operation_token: drToken, token })
    expect(update.status).toBe(200)
    expect(update.body.warnings).toHaveLength(1)
    await waitForStreaming(dc1)
    expect((await drStatus(dc1)).cluster_id).toBe(replicationSet)
    dc2.faults.write('sim/after-failover')
    await waitForCatchUp(dc2, dc1)

    // The promotion policy does not cover disable, and the (shared) root token is no DR operation token;
    // a batch token whose policy covers disable is.
    const disableToken = await mintBatchDrToken(
      { ...dc2, rootToken: dc1.rootToken },
      { name: 'dr-secondary-disable', paths: ['sys/replication/dr/secondary/disable'] },
    )
    await waitForCatchUp(dc2, dc1)
    expect((await drCall(dc1, 'secondary/disable', { dr_operation_token: drToken })).status).toBe(403)
    expect((await drCall(dc1, 'secondary/disable', { dr_operation_token: dc1.rootToken })).status).toBe(403)
    const disable = await drCall(dc1, 'secondary/disable', { dr_operation_token: disableToken })
    expect(disable.status).toBe(200)
    expect(disable.body.warnings).toEqual([WARN_DISABLE])
    await waitForHealth(dc1, 200)
    expect(await drStatus(dc1)).toEqual({ mode: 'disabled' })
  })

  it('refuses to promote a secondary in the middle of a merkle sync unless forced', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, merkleSyncMs: 60_000 } })
    await enablePrimary(primary)
    const drToken = await mintBatchDrToken(primary)
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    const syncing = await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'merkle-sync',
      { what: 'merkle-sync' },
    )
    expect(syncing.merkle_sync_progress).toEqual({ sync_progress: 0, sync_total_keys: expect.any(Number) })
    const op = { dr_operation_token: drToken }
    expect((await drCall(secondary, 'secondary/promote', op)).status).toBe(503)
    expect((await drCall(secondary, 'secondary/promote', { ...op, force: true })).status).toBe(200)
  })

  it('reports the merkle sync moving towards its total, then streams', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, merkleSyncMs: 1_200 } })
    await enablePrimary(primary)
    for (let i = 0; i < 8; i++) primary.faults.write()
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    type Progress = { sync_progress: number; sync_total_keys: number }
    const progressOf = (s: Record<string, unknown>) => s.merkle_sync_progress as Progress | undefined
    const moving = await waitFor(
      () => drStatus(secondary),
      (s) => (progressOf(s)?.sync_progress ?? 0) > 0,
      { what: 'merkle-sync progress' },
    )
    const progress = progressOf(moving)
    expect(moving.state).toBe('merkle-sync')
    expect(progress?.sync_progress).toBeLessThan(progress?.sync_total_keys ?? 0)
    // The keys are still arriving: neither the primary's WALs nor its merkle root are there yet.
    const primaryNow = await drStatus(primary)
    expect(moving.last_remote_wal).toBe(0)
    expect(moving.merkle_root).not.toBe(primaryNow.merkle_root)
    await waitForStreaming(secondary)
    const synced = await drStatus(secondary)
    expect(progressOf(synced)).toBeUndefined()
    expect(synced).toMatchObject({ last_remote_wal: primaryNow.last_wal, merkle_root: primaryNow.merkle_root })
  })

  it("a secondary cut off in the middle of its merkle sync keeps what it had: promoted, it lacks the primary's data", async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, merkleSyncMs: 60_000 } })
    await enablePrimary(primary)
    const drToken = await mintBatchDrToken(primary)
    for (let i = 0; i < 8; i++) primary.faults.write()
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'merkle-sync',
      { what: 'merkle-sync' },
    )
    const lastWal = (await drStatus(primary)).last_wal as number
    await primary.faults.stop()
    await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready',
      { what: 'the secondary to lose its primary' },
    )
    // The DR operation token is checked with what came at connect (the keyring and policies).
    const promoted = await drCall(secondary, 'secondary/promote', { dr_operation_token: drToken, force: true })
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200)
    await waitForHealth(secondary, 200)
    const after = await drStatus(secondary)
    expect(after.mode).toBe('primary')
    expect(after.last_wal).toBeLessThan(lastWal)
    expect(secondary.state().knownSecondaries).toEqual([])
  })

  it('disables a primary and gives it a new replication cluster id when re-enabled', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const first = (await drStatus(primary)).cluster_id
    const disabled = await drCall(primary, 'primary/disable', {}, primary.rootToken)
    expect(disabled.body.warnings).toEqual([WARN_DISABLE])
    await waitForHealth(primary, 200)
    expect(await drStatus(primary)).toEqual({ mode: 'disabled' })
    await enablePrimary(primary)
    expect((await drStatus(primary)).cluster_id).not.toBe(first)
  })
})
