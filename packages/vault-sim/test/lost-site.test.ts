import http from 'node:http'
import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import { drStatus, replicate, useClusters, waitForActive, waitForHealth, waitForStreaming } from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const kvWrite = (cluster: ClusterHandle, token: string, path: string) =>
  vault('PUT', `${cluster.apiUrl}/v1/secret/data/${path}`, { token, body: { data: { at: Date.now() } } })

/** One plain GET on a fresh connection: its status, 'refused', or 'silent' when nothing answers within `ms`. */
function answers(url: string, ms = 1_000): Promise<number | 'refused' | 'silent'> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: ms }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('timeout', () => {
      request.destroy()
      resolve('silent')
    })
    request.on('error', (err: Error & { code?: string }) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'silent'))
  })
}

async function caughtUp(primary: ClusterHandle, secondary: ClusterHandle) {
  const target = await drStatus(primary)
  return waitFor(
    () => drStatus(secondary),
    (s) => s.last_remote_wal === target.last_wal && s.merkle_root === target.merkle_root,
    { what: `${secondary.name} to catch up` },
  )
}

describe('writes and WAL positions driven from outside (item 11)', () => {
  const start = useClusters()

  it('a KV write on the primary advances last_wal and last_dr_wal; the secondary follows, and stops when cut off', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const before = await drStatus(primary)
    const written = await kvWrite(primary, primary.rootToken, 'app/one')
    expect(written.status).toBe(200)
    expect(written.body.data).toMatchObject({ version: 1 })
    const after = await drStatus(primary)
    expect(after.last_wal).toBe((before.last_wal ?? 0) + 1)
    expect(after.last_dr_wal).toBe(after.last_wal)
    await caughtUp(primary, secondary)
    const read = await vault('GET', `${primary.apiUrl}/v1/secret/data/app/one`, { token: primary.rootToken })
    expect(read.body.data).toMatchObject({ data: { at: expect.any(Number) }, metadata: { version: 1 } })

    await primary.faults.closeClusterListener()
    await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready',
      { what: 'the cut' },
    )
    const cutAt = (await drStatus(secondary)).last_remote_wal
    for (const path of ['app/two', 'app/three'])
      expect((await kvWrite(primary, primary.rootToken, path)).status).toBe(200)
    const ahead = await drStatus(primary)
    expect((ahead.last_wal ?? 0) - (cutAt ?? 0)).toBe(2)
    expect((await drStatus(secondary)).last_remote_wal).toBe(cutAt)
  })
})

describe('a lost site (item 10)', () => {
  const start = useClusters()

  it('refusing: both ports refuse, the secondary shows the primary gone as P3 does, and it comes back as it was', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const streaming = await caughtUp(primary, secondary)

    await primary.faults.isolate('refuse')
    expect(await answers(`${primary.apiUrl}/v1/sys/health`)).toBe('refused')
    const lost = await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready' && s.primaries?.[0]?.connection_status === 'disconnected',
      { what: 'the primary to be gone' },
    )
    expect(lost.connection_state).toMatch(/^(transient_failure|connecting)$/)
    expect(lost.known_primary_cluster_addrs).toEqual(streaming.known_primary_cluster_addrs)
    expect(lost.primary_cluster_addr).toBe(streaming.primary_cluster_addr)
    const ageThen = Number(lost.primaries?.[0]?.replication_primary_canary_age_ms)
    // Writes the site took in but never shipped: the RPO of a failover now, in WALs.
    primary.faults.write()
    primary.faults.write()
    expect(primary.state().lastWal - (lost.last_remote_wal ?? 0)).toBe(2)
    const later = await waitFor(
      () => drStatus(secondary),
      (s) => Number(s.primaries?.[0]?.replication_primary_canary_age_ms) > ageThen + 100,
      { what: 'the heartbeat age to grow' },
    )
    expect(later.last_remote_wal).toBe(lost.last_remote_wal)

    await primary.faults.rejoin()
    expect(primary.state()).toMatchObject({ drMode: 'primary', isolation: undefined })
    await waitForStreaming(secondary)
    await caughtUp(primary, secondary)
  })

  it("shows the loss in state idle, or with compat.lostPrimaryState 'kept' in the stream-wals it had (P3); connection_state either way", async () => {
    for (const lostPrimaryState of ['idle', 'kept'] as const) {
      const primary = await start({ name: `dc1-${lostPrimaryState}` })
      const secondary = await start({ name: `dc2-${lostPrimaryState}`, compat: { lostPrimaryState } })
      await replicate(primary, secondary)
      await primary.faults.isolate('refuse')
      const lost = await waitFor(
        () => drStatus(secondary),
        (s) => s.connection_state !== 'ready',
        { what: 'the primary to be gone' },
      )
      expect(lost.state).toBe(lostPrimaryState === 'idle' ? 'idle' : 'stream-wals')
      await primary.faults.rejoin()
      await waitForStreaming(secondary)
    }
  })

  it('dropping: nothing answers, the secondary notices when heartbeats stop, and replication resumes after', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await primary.faults.isolate('drop')
    expect(await answers(`${primary.apiUrl}/v1/sys/health`)).toBe('silent')
    await waitFor(
      () => drStatus(secondary),
      (s) => s.connection_state !== 'ready',
      { what: 'the secondary to give the silent primary up' },
    )
    expect(primary.state().connectedSecondaries).toEqual([])
    await primary.faults.rejoin()
    expect(await answers(`${primary.apiUrl}/v1/sys/health`)).toBe(200)
    await waitForStreaming(secondary)
    await waitFor(
      () => primary.state().connectedSecondaries,
      (ids) => ids.includes('dc2'),
      { what: 'the primary to see its secondary again' },
    )
  })

  it('a lost secondary site: the primary shows it disconnected and keeps it known', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await secondary.faults.isolate('drop')
    const seen = await waitFor(
      () => drStatus(primary),
      (s) => s.secondaries?.[0]?.connection_status === 'disconnected',
      { what: 'the primary to notice' },
    )
    expect(seen.known_secondaries).toEqual(['dc2'])
    await secondary.faults.rejoin()
    await waitForStreaming(secondary)
  })
})

describe('unplanned failover and split brain (items 9 and 10)', () => {
  const start = useClusters()

  it('promotes the secondary of a lost primary; the old primary comes back still primary (P5) until demoted and re-pointed', async () => {
    const dc1 = await start({ name: 'dc1' })
    const dc2 = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(dc1)
    await replicate(dc1, dc2)
    await caughtUp(dc1, dc2)

    await dc1.faults.isolate('refuse')
    dc1.faults.write('sim/lost-with-the-site')
    await waitFor(
      () => drStatus(dc2),
      (s) => s.connection_state !== 'ready',
      { what: 'dc2 to lose dc1' },
    )
    const promoted = await drCall(dc2, 'secondary/promote', { dr_operation_token: drToken })
    expect(promoted.status).toBe(200)
    await waitForHealth(dc2, 200)
    expect((await kvWrite(dc2, dc1.rootToken, 'after/promote')).status).toBe(200)

    // The old site comes back: two primaries of one replication set, both taking writes.
    await dc1.faults.rejoin()
    const [one, two] = [await drStatus(dc1), await drStatus(dc2)]
    expect(one).toMatchObject({ mode: 'primary', state: 'running', known_secondaries: ['dc2'] })
    expect(two).toMatchObject({ mode: 'primary', state: 'running', known_secondaries: [] })
    expect(one.cluster_id).toBe(two.cluster_id)
    expect((await kvWrite(dc1, dc1.rootToken, 'split/one')).status).toBe(200)
    expect((await kvWrite(dc2, dc1.rootToken, 'split/two')).status).toBe(200)
    expect(one.secondaries?.[0]?.connection_status ?? 'disconnected').toBe('disconnected')

    // Resolved the HashiCorp way: demote the old primary and point it at the new one; its own writes are lost.
    expect((await drCall(dc1, 'primary/demote', {}, dc1.rootToken)).status).toBe(200)
    await waitForActive(dc1)
    const key = await drCall(dc1, 'secondary/generate-public-key', {}, dc1.rootToken)
    const token = await drCall(
      dc2,
      'primary/secondary-token',
      { id: 'dc1', secondary_public_key: key.body.data?.secondary_public_key },
      dc1.rootToken,
    )
    const updated = await drCall(dc1, 'secondary/update-primary', {
      dr_operation_token: drToken,
      token: token.body.data?.token,
    })
    expect(updated.status, updated.text).toBe(200)
    await waitForStreaming(dc1)
    await caughtUp(dc2, dc1)
    const gone = await vault('GET', `${dc2.apiUrl}/v1/secret/data/split/one`, { token: dc1.rootToken })
    expect(gone.status).toBe(404)
  })
})
