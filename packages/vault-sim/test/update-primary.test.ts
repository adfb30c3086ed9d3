import { describe, expect, it } from 'vitest'
import { startTcpProxy } from '../src/index.ts'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  errorsOf,
  fastTimings,
  replicate,
  secondaryToken,
  useClusters,
  waitForActive,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { waitFor } from './helpers/vault-http.ts'

describe('secondary/update-primary', () => {
  const start = useClusters()

  async function streamingPair() {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary)
    await replicate(primary, secondary)
    const update = (body: Record<string, unknown>) =>
      drCall(secondary, 'secondary/update-primary', { dr_operation_token: drToken, ...body })
    return { primary, secondary, update }
  }

  it('with only update_primary_addrs keeps the primary and dials those addresses', async () => {
    const { primary, secondary, update } = await streamingPair()
    const { hostname, port } = new URL(primary.clusterUrl)
    const balancer = await startTcpProxy({ host: hostname, port: Number(port) })
    try {
      const updated = await update({ update_primary_addrs: [balancer.url] })
      expect(updated.status).toBe(200)
      const kept = await drStatus(secondary)
      expect(kept).toMatchObject({
        secondary_id: 'dc2',
        connection_state: 'ready',
        primary_cluster_addr: primary.clusterUrl,
        known_primary_cluster_addrs: [balancer.url],
      })
      expect(kept.primaries?.[0]?.connection_status).toBe('connected')

      // When the stream drops, the secondary looks for its primary at the new candidates first.
      await primary.faults.closeClusterListener()
      await waitFor(
        () => drStatus(secondary),
        (s) => s.connection_state !== 'ready',
        { what: 'the stream to drop' },
      )
      await primary.faults.reopenClusterListener()
      const back = await waitForStreaming(secondary)
      expect(back.primaries?.[0]?.cluster_address).toBe(balancer.url)
      expect(back.secondary_id).toBe('dc2')
    } finally {
      await balancer.close()
    }
  })

  it('refuses token together with update_primary_addrs, and leaves the secondary as it was', async () => {
    const { primary, secondary, update } = await streamingPair()
    for (const token of ['', await secondaryToken(primary, 'dc2-again')]) {
      const refused = await update({ token, update_primary_addrs: [primary.clusterUrl] })
      expect(refused.status).toBe(400)
      expect(errorsOf(refused.body)).toEqual(['token and update_primary_addrs are mutually exclusive'])
    }
    expect(await drStatus(secondary)).toMatchObject({ state: 'stream-wals', connection_state: 'ready' })
  })

  it('refuses a token from a primary of another replication set, keeping the secondary in its own', async () => {
    const { secondary, update } = await streamingPair()
    const stranger = await start({ name: 'dc9' })
    await enablePrimary(stranger)
    const before = await drStatus(secondary)
    const refused = await update({ token: await secondaryToken(stranger, 'dc2') })
    expect(refused.status).toBe(400)
    expect(errorsOf(refused.body)[0]).toContain('a primary of another replication set')
    await waitForActive(secondary)
    expect(await drStatus(secondary)).toMatchObject({
      cluster_id: before.cluster_id,
      state: 'stream-wals',
      connection_state: 'ready',
      last_remote_wal: before.last_remote_wal,
    })
  })

  it('tells a missing token from an empty one: only "" forgets the primary', async () => {
    const { secondary, update } = await streamingPair()
    const missing = await update({})
    expect(missing.status).toBe(400)
    expect(errorsOf(missing.body)).toEqual(['missing activation token'])
    expect((await drStatus(secondary)).connection_state).toBe('ready')

    expect((await update({ token: '' })).status).toBe(200)
    // Connected to nothing, it reports what a demoted primary reports (P7).
    const forgotten = await drStatus(secondary)
    expect(forgotten).toMatchObject({
      mode: 'secondary',
      state: 'idle',
      known_primary_cluster_addrs: null,
      primaries: [],
    })
    expect(forgotten.connection_state).toBeUndefined()
    await waitForActive(secondary)
    // With no primary left there is nothing to look for at new addresses.
    const noPrimary = await update({ update_primary_addrs: ['https://127.0.0.1:1'] })
    expect(noPrimary.status).toBe(400)
    expect(errorsOf(noPrimary.body)).toHaveLength(1)
  })

  it('forgets its primary while it still bootstraps: a DR secondary connected to nothing, as after the bootstrap', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, bootstrapMs: 2_000 } })
    const drToken = await mintBatchDrToken(primary)
    await enablePrimary(primary)
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    await waitForActive(secondary)
    expect((await drStatus(secondary)).mode).toBe('bootstrapping')

    const forgot = await drCall(secondary, 'secondary/update-primary', { dr_operation_token: drToken, token: '' })
    expect(forgot.status, forgot.text).toBe(200)
    expect(await drStatus(secondary)).toMatchObject({ mode: 'secondary', state: 'idle', primaries: [] })
  })
})
