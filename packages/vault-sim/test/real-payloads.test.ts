import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import payloads from './fixtures/real-payloads.json' with { type: 'json' }
import {
  drStatus,
  enablePrimary,
  replicate,
  secondaryToken,
  useClusters,
  waitForActive,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { shapeMismatches } from './helpers/shape.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const get = (cluster: ClusterHandle, path: string) => vault('GET', `${cluster.apiUrl}/v1/${path}`)
const replicationStatus = async (cluster: ClusterHandle) => (await get(cluster, 'sys/replication/status')).body

describe('real published payloads as fixtures (P1-P14): same keys, types and enumerations', () => {
  const start = useClusters()

  it('P1, P2, P6, P13, P14: a DR primary and its streaming secondary', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await waitFor(
      () => drStatus(primary),
      (s) => s.secondaries?.[0]?.connection_status === 'connected',
    )
    const [pAll, sAll] = [await replicationStatus(primary), await replicationStatus(secondary)]
    // P1 is an older Vault with performance replication on; its keys must all be there.
    expect(shapeMismatches(payloads.P1_drPrimaryWithPerformance, pAll, { ignore: ['data.performance'] })).toEqual([])
    expect(shapeMismatches(payloads.P13_oldPrimaryWithoutState, pAll)).toEqual([])
    expect(shapeMismatches(payloads.P2_drSecondary, sAll)).toEqual([])
    // P6 is the emulated generation (docs samples of 1.16-1.17): exactly its keys.
    expect(shapeMismatches(payloads.P6_primaryStatus.data, await drStatus(primary), { exact: true })).toEqual([])
    expect(shapeMismatches(payloads.P6_secondaryStatus.data, await drStatus(secondary), { exact: true })).toEqual([])

    // P14: the Go client's types. ClusterInfo fields are all strings; WAL counters are numbers.
    const p = await drStatus(primary)
    const s = await drStatus(secondary)
    for (const info of [...(p.secondaries ?? []), ...(s.primaries ?? [])]) {
      for (const [k, v] of Object.entries(info)) expect(typeof v, k).toBe('string')
    }
    for (const k of ['last_dr_wal', 'last_wal', 'ssct_generation_counter']) expect(typeof p[k], k).toBe('number')
    for (const k of ['last_remote_wal', 'ssct_generation_counter']) expect(typeof s[k], k).toBe('number')
    for (const k of ['last_reindex_epoch', 'cluster_id', 'merkle_root', 'mode', 'primary_cluster_addr', 'state']) {
      expect(typeof s[k], k).toBe('string')
    }
  })

  it('P3: the secondary after its primary went away', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await primary.faults.isolate()
    const lost = await waitFor(
      () => drStatus(secondary),
      (st) => st.connection_state !== 'ready',
    )
    expect(shapeMismatches(payloads.P3_secondaryPrimaryNodeDown.dr, lost)).toEqual([])
  })

  it('P4, P5, P9: promote, the old primary in split brain, demote and disable', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary)
    await replicate(primary, secondary)
    const promote = await drCall(secondary, 'secondary/promote', { dr_operation_token: drToken })
    expect(shapeMismatches(payloads.P9_promote, promote.body)).toEqual([])
    expect(promote.body.warnings).toEqual(payloads.P9_promote.warnings)
    expect(shapeMismatches(payloads.P4_promotedSecondary.dr, await drStatus(secondary))).toEqual([])
    expect(shapeMismatches(payloads.P5_oldPrimarySplitBrain.dr, await drStatus(primary))).toEqual([])
    expect((await drStatus(primary)).known_secondaries).toEqual(['dc2'])

    const demote = await drCall(primary, 'primary/demote', {}, primary.rootToken)
    expect(shapeMismatches(payloads.P9_demote, demote.body)).toEqual([])
    expect(demote.body.warnings).toEqual(payloads.P9_demote.warnings)
    await waitForActive(secondary)
    const disable = await drCall(secondary, 'primary/disable', {}, primary.rootToken)
    expect(shapeMismatches(payloads.P9_disable, disable.body)).toEqual([])
    expect(disable.body.warnings).toEqual(payloads.P9_disable.warnings)
    expect((await drStatus(secondary)).mode).toBe('disabled')
  })

  it('P9: the secondary-enable answer', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await enablePrimary(primary)
    const enabled = await vault('POST', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
      token: secondary.rootToken,
      body: { token: await secondaryToken(primary, 'dc2') },
    })
    expect(shapeMismatches(payloads.P9_secondaryEnable, enabled.body)).toEqual([])
    expect(enabled.body.warnings).toEqual(payloads.P9_secondaryEnable.warnings)
    await waitForStreaming(secondary)
  })

  it('P7: a demoted DR primary: replication status, health and seal status, key for key', async () => {
    const primary = await start({ name: 'dc1', version: '1.21.0-beta1+ent' })
    await enablePrimary(primary)
    await drCall(primary, 'primary/demote', {}, primary.rootToken)
    await waitForActive(primary)
    const status = await replicationStatus(primary)
    expect(shapeMismatches(payloads.P7_demotedReplicationStatus, status, { exact: true })).toEqual([])
    const health = await get(primary, 'sys/health')
    expect(health.status).toBe(472)
    expect(shapeMismatches(payloads.P7_demotedHealth, health.body, { exact: true })).toEqual([])
    const seal = await get(primary, 'sys/seal-status')
    expect(shapeMismatches(payloads.P7_demotedSealStatus, seal.body, { exact: true })).toEqual([])
  })

  it('P8: the ceremony answers', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const url = `${secondary.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token`
    const before = await vault('GET', `${url}/attempt`)
    expect(shapeMismatches(payloads.P8_attemptBefore, before.body, { exact: true })).toEqual([])
    const started = await vault('PUT', `${url}/attempt`, { body: {} })
    expect(shapeMismatches(payloads.P8_attemptStarted, started.body, { exact: true })).toEqual([])
    const done = await vault('PUT', `${url}/update`, {
      body: { key: primary.unsealKeys[0], nonce: started.body.nonce },
    })
    expect(shapeMismatches(payloads.P8_updateComplete, done.body)).toEqual([])
  })

  it('P10: the activation token is an ES512 JWT with the claims in Vault order', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    const [header, claims] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>)
    expect(header).toEqual({ alg: 'ES512', typ: 'JWT' })
    expect(Object.keys(claims ?? {})).toEqual(['accessor', 'addr', 'exp', 'iat', 'jti', 'nbf', 'type'])
    expect(claims).toMatchObject({ accessor: '', addr: primary.apiUrl, type: 'wrapping' })
    expect(String(claims?.jti)).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
  })

  it('P11: the error texts', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary)
    await replicate(primary, secondary)
    const missing = await vault('POST', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/promote`, {
      token: 'root',
      body: { key: 'anything' },
    })
    expect(missing.body).toEqual({ errors: ['DR operation token was not provided'] })
    const locked = await vault('GET', `${secondary.apiUrl}/v1/sys/storage/raft/configuration`, { token: drToken })
    expect(locked.body).toEqual({ errors: ['path disabled in replication DR secondary mode'] })
    const denied = await get(primary, 'sys/policies/acl/default')
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({ errors: ['permission denied'] })
  })

  it('P12: the merkle-check report', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary, { paths: ['sys/replication/dr/secondary/merkle-check'] })
    await replicate(primary, secondary)
    const check = await drCall(secondary, 'secondary/merkle-check', { dr_operation_token: drToken })
    expect(shapeMismatches(payloads.P12_merkleCheck, check.body)).toEqual([])
    // A healthy report lists the replicated tree's checked pages, none corrupted; the local tree has none.
    const trees = (check.body as any).data.merkle_corruption_report.corrupted_tree_map
    expect(Object.values(trees['1'].corrupted_index_tuples_map)).toEqual([{ corrupted: false, subpages: [28] }])
    expect(trees['2'].corrupted_index_tuples_map).toBeNull()
  })
})
