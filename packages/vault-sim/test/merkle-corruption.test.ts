import { describe, expect, it } from 'vitest'
import { drStatus, enablePrimary, replicate, useClusters, waitForActive, waitForStreaming } from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

describe('faults.corruptMerkleTree (fact sheet 2.8, P3)', () => {
  const start = useClusters()

  it('shows in dr/status and in merkle-check until a reindex rebuilds the tree', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    await waitForStreaming(secondary)
    const token = await mintBatchDrToken(primary, {
      paths: ['sys/replication/dr/secondary/merkle-check', 'sys/replication/dr/secondary/reindex'],
    })
    const target = (await drStatus(primary)).last_wal
    await waitFor(
      () => drStatus(secondary),
      (s) => s.last_remote_wal === target,
      { what: 'the token to replicate' },
    )
    expect((await drStatus(secondary)).corrupted_merkle_tree).toBe(false)

    secondary.faults.corruptMerkleTree()
    expect((await drStatus(secondary)).corrupted_merkle_tree).toBe(true)
    expect((await drStatus(primary)).corrupted_merkle_tree).toBe(false)
    const check = await drCall(secondary, 'secondary/merkle-check', { dr_operation_token: token })
    expect(check.status).toBe(200)
    const report = (check.body.data as { merkle_corruption_report: Record<string, unknown> }).merkle_corruption_report
    expect(report).toMatchObject({
      corrupted_root: true,
      corrupted_tree_map: {
        '1': { tree_type: 'replicated', corrupted_subtree_root: true },
        '2': { tree_type: 'local', corrupted_subtree_root: false },
      },
    })

    expect((await drCall(secondary, 'secondary/reindex', { dr_operation_token: token })).status).toBe(200)
    expect((await drStatus(secondary)).corrupted_merkle_tree).toBe(false)
  })
})

describe('a demoted cluster (P7 shape) reports its own merkle checks', () => {
  const start = useClusters()

  it('shows a merkle-check and a corrupted tree in its status, P7 values before either', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const token = await mintBatchDrToken(primary, { paths: ['sys/replication/dr/secondary/merkle-check'] })
    const demote = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/demote`, {
      token: primary.rootToken,
      body: {},
    })
    expect(demote.status).toBe(200)
    await waitForActive(primary)
    const before = await drStatus(primary)
    expect(before).toMatchObject({ state: 'idle', corrupted_merkle_tree: false })
    expect(before.last_corruption_check_epoch).toBe('-62135596800')

    primary.faults.corruptMerkleTree()
    expect((await drCall(primary, 'secondary/merkle-check', { dr_operation_token: token })).status).toBe(200)
    const after = await drStatus(primary)
    expect(after.corrupted_merkle_tree).toBe(true)
    expect(Number(after.last_corruption_check_epoch)).toBeGreaterThan(Date.now() / 1000 - 60)
  })
})
