import { describe, expect, it } from 'vitest'
import { startBlackHole, startTcpProxy } from '../src/index.ts'
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
  waitForHealth,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

// A window long enough to look at, short enough to wait out.
const slowRestart = { ...fastTimings, restartMs: 1_500 }

const health = (apiUrl: string) => vault('GET', `${apiUrl}/v1/sys/health`)
const leader = (apiUrl: string) => vault('GET', `${apiUrl}/v1/sys/leader`)

describe('the brief unavailability after a role change (D5, fact sheet 2.10)', () => {
  const start = useClusters()

  it('after promote: no active node (429 standby, unsealed, no leader, other paths 500), then 200', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: slowRestart })
    const drToken = await mintBatchDrToken(primary)
    await replicate(primary, secondary)
    await waitForActive(secondary)
    expect((await health(secondary.apiUrl)).status).toBe(472)

    expect((await drCall(secondary, 'secondary/promote', { dr_operation_token: drToken })).status).toBe(200)
    const during = await health(secondary.apiUrl)
    expect(during.status).toBe(429)
    expect(during.body).toMatchObject({ sealed: false, standby: true, replication_dr_mode: 'primary' })
    expect((await vault('GET', `${secondary.apiUrl}/v1/sys/health?standbyok=true`)).status).toBe(200)
    expect((await leader(secondary.apiUrl)).body).toMatchObject({ is_self: false, leader_address: '' })
    const busy = await vault('GET', `${secondary.apiUrl}/v1/sys/policies/acl/default`, { token: primary.rootToken })
    expect(busy.status).toBe(500)
    expect(errorsOf(busy.body)).toEqual(['local node not active but active cluster node not found'])
    // The status paths too: a node without an active node forwards them and fails.
    expect((await vault('GET', `${secondary.apiUrl}/v1/sys/replication/dr/status`)).status).toBe(500)
    expect((await drStatus(secondary)).mode).toBe('primary')

    await waitForHealth(secondary, 200)
    expect((await leader(secondary.apiUrl)).body).toMatchObject({
      is_self: true,
      leader_cluster_address: secondary.clusterAdvertiseAddr,
    })
  })

  it('after secondary enable: no active node while the initial sync begins (472 throughout), then it streams', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: slowRestart })
    await enablePrimary(primary)
    const activation = await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })
    expect(activation.status).toBe(200)
    const during = await health(secondary.apiUrl)
    expect(during.status).toBe(472)
    expect(during.body).toMatchObject({ sealed: false, standby: true })
    expect(['bootstrapping', 'secondary']).toContain(during.body.replication_dr_mode)
    expect((await leader(secondary.apiUrl)).body).toMatchObject({ is_self: false, leader_address: '' })
    expect((await vault('GET', `${secondary.apiUrl}/v1/sys/replication/dr/status`)).status).toBe(500)
    await waitForActive(secondary)
    await waitForStreaming(secondary)
  })

  it('after demote: 472 throughout, never sealed', async () => {
    const primary = await start({ name: 'dc1', timings: slowRestart })
    await enablePrimary(primary)
    expect((await drCall(primary, 'primary/demote', {}, primary.rootToken)).status).toBe(200)
    const during = await health(primary.apiUrl)
    expect(during.status).toBe(472)
    expect(during.body).toMatchObject({ sealed: false, replication_dr_mode: 'secondary' })
    await waitForActive(primary)
    expect((await health(primary.apiUrl)).status).toBe(472)
  })

  it('keeps the earlier sealed model behind compat.unavailability', async () => {
    const primary = await start({ name: 'dc1', timings: slowRestart, compat: { unavailability: 'sealed' } })
    await enablePrimary(primary)
    expect((await drCall(primary, 'primary/disable', {}, primary.rootToken)).status).toBe(200)
    const during = await health(primary.apiUrl)
    expect(during.status).toBe(503)
    expect(during.body.sealed).toBe(true)
  })
})

describe('status shapes across role changes', () => {
  const start = useClusters()

  it('a demoted primary reports exactly the keys of P7, with known_primary_cluster_addrs null', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    await drCall(primary, 'primary/demote', {}, primary.rootToken)
    const status = await drStatus(primary)
    expect(Object.keys(status).sort()).toEqual(
      [
        'cluster_id',
        'corrupted_merkle_tree',
        'known_primary_cluster_addrs',
        'last_corruption_check_epoch',
        'last_reindex_epoch',
        'merkle_root',
        'mode',
        'primaries',
        'primary_cluster_addr',
        'secondary_id',
        'ssct_generation_counter',
        'state',
      ].sort(),
    )
    expect(status).toMatchObject({
      known_primary_cluster_addrs: null,
      last_reindex_epoch: '0',
      mode: 'secondary',
      primaries: [],
      primary_cluster_addr: '',
      secondary_id: '',
      state: 'idle',
    })
  })

  it("a secondary's last_reindex_epoch is its bootstrap time, its heartbeat fields strings (D6, D12)", async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const status = await drStatus(secondary)
    const lastStart = Math.floor(Date.parse(String(status.last_start)) / 1000)
    expect(Number(status.last_reindex_epoch)).toBe(lastStart)
    const peer = status.primaries?.[0] ?? {}
    expect(peer.last_heartbeat_duration_ms).toMatch(/^\d+$/)
    expect(peer.replication_primary_canary_age_ms).toMatch(/^\d+$/)
    expect(Number(peer.last_heartbeat_duration_ms)).toBeLessThan(1000)
  })

  it('a promoted secondary keeps the cluster id and counts WALs from its own log, which can be lower (D11)', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary)
    // Overwrites: the primary's WAL index runs ahead of the entries a sync copies.
    for (let i = 0; i < 5; i += 1) primary.faults.write('sim/overwritten')
    await replicate(primary, secondary)
    const before = await drStatus(secondary)
    expect((await drCall(secondary, 'secondary/promote', { dr_operation_token: drToken })).status).toBe(200)
    const after = await drStatus(secondary)
    expect(after).toMatchObject({ mode: 'primary', cluster_id: before.cluster_id, known_secondaries: [] })
    expect(after.last_wal).toBeLessThan(before.last_remote_wal ?? 0)
    const written = secondary.faults.write()
    expect(written).toBe((after.last_wal ?? 0) + 1)
  })
})

describe('public-key activation (D2, fact sheet 2.7)', () => {
  const start = useClusters()

  it('answers the token in data.token and activates a secondary with no call to the primary API', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const key = await drCall(secondary, 'secondary/generate-public-key', {}, secondary.rootToken)
    expect(key.status).toBe(200)
    const publicKey = String(key.body.data?.secondary_public_key)
    const minted = await drCall(
      primary,
      'primary/secondary-token',
      { id: 'dc2', secondary_public_key: publicKey },
      primary.rootToken,
    )
    expect(minted.status).toBe(200)
    expect(minted.body.wrap_info).toBeNull()
    const token = String(minted.body.data?.token)
    // Any unwrap call would go to a silent address (and time out); none is made.
    const silent = await startBlackHole()
    try {
      const enabled = await enableSecondary(secondary, { token, primary_api_addr: `http://127.0.0.1:${silent.port}` })
      expect(enabled.status, enabled.text).toBe(200)
      expect(silent.connections()).toBe(0)
    } finally {
      await silent.close()
    }
    await waitForStreaming(secondary)
    expect((await drStatus(primary)).known_secondaries).toEqual(['dc2'])
  })

  it('re-points a demoted primary with update-primary and a public-key token, with no call to the new primary API', async () => {
    const dc1 = await start({ name: 'dc1' })
    const dc2 = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(dc1)
    await replicate(dc1, dc2)
    await drCall(dc1, 'primary/demote', {}, dc1.rootToken)
    expect((await drCall(dc2, 'secondary/promote', { dr_operation_token: drToken })).status).toBe(200)
    await waitForActive(dc2)
    await waitForActive(dc1)
    // Not in Vault's unauthenticated list: refused without a client token, answered with one (dc1's own store).
    expect((await drCall(dc1, 'secondary/generate-public-key')).status).toBe(403)
    const key = await drCall(dc1, 'secondary/generate-public-key', {}, dc1.rootToken)
    const minted = await drCall(
      dc2,
      'primary/secondary-token',
      { id: 'dc1', secondary_public_key: key.body.data?.secondary_public_key },
      dc1.rootToken,
    )
    // Any call to dc2's API from now on takes eight seconds; the update must not wait for one.
    dc2.faults.setLatency(8_000)
    const started = Date.now()
    const updated = await drCall(dc1, 'secondary/update-primary', {
      dr_operation_token: drToken,
      token: minted.body.data?.token,
    })
    expect(updated.status, updated.text).toBe(200)
    expect(Date.now() - started).toBeLessThan(6_000)
    dc2.faults.setLatency(0)
    const following = await waitForStreaming(dc1)
    expect(following).toMatchObject({ secondary_id: 'dc1', known_primary_cluster_addrs: [dc2.clusterAdvertiseAddr] })
  })

  it('refuses a malformed public key, and a token sealed to another cluster is not opened', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const other = await start({ name: 'dc3' })
    await enablePrimary(primary)
    const bad = await drCall(
      primary,
      'primary/secondary-token',
      { id: 'x', secondary_public_key: 'nope' },
      primary.rootToken,
    )
    expect(bad.status).toBe(400)
    await drCall(secondary, 'secondary/generate-public-key', {}, secondary.rootToken)
    const otherKey = await drCall(other, 'secondary/generate-public-key', {}, other.rootToken)
    const minted = await drCall(
      primary,
      'primary/secondary-token',
      { id: 'dc2', secondary_public_key: otherKey.body.data?.secondary_public_key },
      primary.rootToken,
    )
    const refused = await enableSecondary(secondary, { token: minted.body.data?.token })
    expect(refused.status).toBe(400)
    expect((await drStatus(secondary)).mode).toBe('disabled')
  })
})

describe('update-primary and disable details (D4, D8, D10)', () => {
  const start = useClusters()

  it('update_primary_addrs takes the first address that answers, and fails when none does', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary)
    await replicate(primary, secondary)
    const silent = await startBlackHole()
    const { hostname, port } = new URL(primary.clusterUrl)
    const balancer = await startTcpProxy({ host: hostname, port: Number(port) })
    const update = (addrs: string[]) =>
      drCall(secondary, 'secondary/update-primary', { dr_operation_token: drToken, update_primary_addrs: addrs })
    try {
      const refused = await update(['https://127.0.0.1:1'])
      expect(refused.status).toBe(400)
      expect(errorsOf(refused.body)[0]).toContain('connection refused')
      const picked = await update(['https://127.0.0.1:1', balancer.url, primary.clusterUrl])
      expect(picked.status).toBe(200)
      expect((await drStatus(secondary)).known_primary_cluster_addrs).toEqual([balancer.url])
      // The ping leaves the live stream alone.
      expect((await drStatus(secondary)).connection_state).toBe('ready')
    } finally {
      await Promise.all([silent.close(), balancer.close()])
    }
  })

  it('secondary/disable on a primary: an unknown X-Vault-Token is refused with 403 before the role check', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const stale = await drCall(primary, 'secondary/disable', { dr_operation_token: 'x' }, 'hvs.stale')
    expect(stale.status).toBe(403)
    const known = await drCall(primary, 'secondary/disable', { dr_operation_token: 'x' }, primary.rootToken)
    expect(known.status).toBe(400)
    expect(errorsOf(known.body)).toEqual(['this cluster is not a DR replication secondary'])
  })

  it('re-enabling a disabled secondary wipes it again and gives it the new replication set', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary, { paths: ['sys/replication/dr/secondary/disable'] })
    await replicate(primary, secondary)
    expect((await drCall(secondary, 'secondary/disable', { dr_operation_token: drToken })).status).toBe(200)
    await waitForHealth(secondary, 200)
    expect((await drCall(primary, 'primary/disable', {}, primary.rootToken)).status).toBe(200)
    await waitForHealth(primary, 200)
    await waitFor(
      () => drStatus(primary),
      (s) => s.mode === 'disabled',
    )
    // The disabled secondary still holds the primary's data, so the primary's root token is the one that works there.
    await replicate(primary, { ...secondary, rootToken: primary.rootToken }, 'dc2-again')
    const again = await drStatus(secondary)
    expect(again.secondary_id).toBe('dc2-again')
    expect(again.cluster_id).toBe((await drStatus(primary)).cluster_id)
  })
})
