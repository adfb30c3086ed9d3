import { describe, expect, it } from 'vitest'
import { decodeWithOtp } from '../src/ceremony/otp.ts'
import type { ClusterHandle } from '../src/index.ts'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  errorsOf,
  replicate,
  secondaryToken,
  useClusters,
  waitForActive,
  waitForStreaming,
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const ceremony = (cluster: ClusterHandle, method: string, step: 'attempt' | 'update', body?: unknown) =>
  vault(method, `${cluster.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token/${step}`, { body })

const p8Keys = [
  'nonce',
  'started',
  'progress',
  'required',
  'complete',
  'encoded_token',
  'encoded_root_token',
  'pgp_fingerprint',
  'otp',
  'otp_length',
]

describe('the DR operation token key-share ceremony on a DR secondary (fact sheet 2.5)', () => {
  const start = useClusters()

  async function pair() {
    const primary = await start({ name: 'dc1', keyShares: 3, keyThreshold: 2 })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    return { primary, secondary }
  }

  it("with compat.ceremonyAuth 'root', takes a root token of the set on every ceremony path, else 403", async () => {
    const primary = await start({ name: 'dc1', keyShares: 3, keyThreshold: 2 })
    const secondary = await start({ name: 'dc2', compat: { ceremonyAuth: 'root' } })
    await replicate(primary, secondary)
    const denied = await ceremony(secondary, 'POST', 'attempt', {})
    expect(denied.status).toBe(403)
    expect(errorsOf(denied.body)).toEqual(['permission denied'])
    expect((await ceremony(secondary, 'GET', 'attempt')).status).toBe(403)
    const batch = await mintBatchDrToken(primary)
    const withBatch = await vault(
      'POST',
      `${secondary.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token/attempt`,
      { token: batch, body: {} },
    )
    expect(withBatch.status).toBe(403)
    const attempt = (method: string, step: 'attempt' | 'update', body?: unknown) =>
      vault(method, `${secondary.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token/${step}`, {
        token: primary.rootToken,
        body,
      })
    const started = await attempt('POST', 'attempt', {})
    expect(started.status).toBe(200)
    const { nonce, otp } = started.body as { nonce: string; otp: string }
    await attempt('PUT', 'update', { key: primary.unsealKeys[0], nonce })
    const last = await attempt('PUT', 'update', { key: primary.unsealKeys[1], nonce })
    expect(last.body).toMatchObject({ complete: true })
    expect(decodeWithOtp(String(last.body.encoded_token), otp)).toMatch(/^hvs\./)
    expect((await ceremony(secondary, 'DELETE', 'attempt')).status).toBe(403)
    expect((await attempt('DELETE', 'attempt')).status).toBe(204)
  })

  it("takes the primary's key shares, one attempt at a time, and yields a token decoded with the OTP", async () => {
    const { primary, secondary } = await pair()
    expect(primary.unsealKeys).toHaveLength(3)

    const idle = await ceremony(secondary, 'GET', 'attempt')
    expect(idle.status).toBe(200)
    expect(Object.keys(idle.body)).toEqual(p8Keys)
    expect(idle.body).toMatchObject({ nonce: '', started: false, progress: 0, required: 2, otp_length: 28 })

    const started = await ceremony(secondary, 'POST', 'attempt', {})
    expect(started.body).toMatchObject({ started: true, progress: 0, required: 2 })
    const { nonce, otp } = started.body as { nonce: string; otp: string }
    expect(nonce).toMatch(/^[0-9a-f-]{36}$/)
    expect(otp).toHaveLength(28)
    // Shown once: the status no longer carries it.
    expect((await ceremony(secondary, 'GET', 'attempt')).body).toMatchObject({ otp: '', nonce, started: true })

    const again = await ceremony(secondary, 'POST', 'attempt', {})
    expect(again.status).toBe(400)
    expect(errorsOf(again.body)).toEqual(['root generation already in progress'])
    const wrongNonce = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce: 'x' })
    expect(errorsOf(wrongNonce.body)).toEqual([
      `incorrect nonce supplied; nonce for this root generation operation is "${nonce}"`,
    ])
    expect(errorsOf((await ceremony(secondary, 'PUT', 'update', { nonce })).body)).toEqual([
      "'key' must be specified in request body as JSON",
    ])

    const first = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce })
    expect(first.body).toMatchObject({ progress: 1, complete: false })
    const twice = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce })
    expect(errorsOf(twice.body)).toEqual(['given key has already been provided during this generation operation'])
    const hexKey = Buffer.from(primary.unsealKeys[2] ?? '', 'base64').toString('hex')
    const last = await ceremony(secondary, 'PUT', 'update', { key: hexKey, nonce })
    expect(last.body).toMatchObject({ complete: true, progress: 2, encoded_root_token: '' })
    const token = decodeWithOtp(String(last.body.encoded_token), otp)
    expect(token).toMatch(/^hvs\.[A-Za-z0-9]{24}$/)
    expect((await ceremony(secondary, 'GET', 'attempt')).body).toMatchObject({ started: false })

    // A DR operation token: the validation call and operation-token/delete take it; once deleted it is refused.
    const check = () => vault('GET', `${secondary.apiUrl}/v1/sys/storage/raft/autopilot/state`, { token })
    expect((await check()).status).toBe(200)
    expect((await drCall(secondary, 'secondary/operation-token/delete', { dr_operation_token: token })).status).toBe(
      204,
    )
    expect((await check()).status).toBe(403)
  })

  it("takes the primary's key shares in the middle of the merkle sync too (the seal configuration comes at connect)", async () => {
    const primary = await start({ name: 'dc1', keyShares: 3, keyThreshold: 2 })
    const secondary = await start({ name: 'dc2', timings: { merkleSyncMs: 60_000 } })
    await enablePrimary(primary)
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    await waitFor(
      () => drStatus(secondary),
      (st) => st.state === 'merkle-sync',
      { what: 'merkle-sync' },
    )
    expect((await ceremony(secondary, 'GET', 'attempt')).body).toMatchObject({ required: 2 })
    const { nonce } = (await ceremony(secondary, 'POST', 'attempt', {})).body as { nonce: string }
    await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce })
    const last = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[1], nonce })
    expect(last.body).toMatchObject({ complete: true, progress: 2 })
  })

  it("loses its ceremony's tokens with its data when it is activated again (a wipe: its tokens are the primary's then)", async () => {
    const { primary, secondary } = await pair()
    const started = await ceremony(secondary, 'POST', 'attempt', {})
    const { nonce, otp } = started.body as { nonce: string; otp: string }
    await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce })
    const last = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[1], nonce })
    const token = decodeWithOtp(String(last.body.encoded_token), otp)
    const check = () => vault('GET', `${secondary.apiUrl}/v1/sys/storage/raft/autopilot/state`, { token })
    expect((await check()).status).toBe(200)
    expect((await drCall(secondary, 'secondary/disable', { dr_operation_token: token })).status).toBeLessThan(300)
    await waitForActive(secondary)
    // Its data, tokens included, is the primary's since the first activation: the primary's root token works there.
    const activation = await vault('POST', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
      token: primary.rootToken,
      body: { token: await secondaryToken(primary, 'dc2-again') },
    })
    expect(activation.status, activation.text).toBe(200)
    await waitForStreaming(secondary)
    expect((await check()).status).toBe(403)
    expect((await drCall(secondary, 'secondary/promote', { dr_operation_token: token })).status).toBe(403)
  })

  it("refuses the secondary's own shares (activation replaced them), and a cancelled attempt is gone", async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const otp = 'abcdefghijklmnopqrstuvwxyz01'
    const short = await ceremony(secondary, 'POST', 'attempt', { otp: 'short' })
    expect(errorsOf(short.body)).toEqual(['OTP string is wrong length'])
    const started = await ceremony(secondary, 'PUT', 'attempt', { otp })
    expect(started.body.otp).toBe('')
    const nonce = started.body.nonce
    const own = await ceremony(secondary, 'PUT', 'update', { key: secondary.unsealKeys[0], nonce })
    expect(own.status).toBe(400)
    expect(errorsOf(own.body)[0]).toMatch(/^root generation aborted: /)

    await ceremony(secondary, 'PUT', 'attempt', { otp })
    const cancelled = await ceremony(secondary, 'DELETE', 'attempt')
    expect(cancelled.status).toBe(204)
    expect(cancelled.text).toBe('')
    const none = await ceremony(secondary, 'PUT', 'update', { key: primary.unsealKeys[0], nonce })
    expect(errorsOf(none.body)).toEqual(['no root generation in progress'])
    // The key is read first, as Vault's HTTP handler does, before the attempt is looked for.
    const noKey = await ceremony(secondary, 'PUT', 'update', { nonce })
    expect(errorsOf(noKey.body)).toEqual(["'key' must be specified in request body as JSON"])
    const badKey = await ceremony(secondary, 'PUT', 'update', { key: 'not hex, not base64!', nonce })
    expect(errorsOf(badKey.body)).toEqual(["'key' must be a valid hex or base64 string"])
  })
})

describe('the DR-secondary allow-list (D1)', () => {
  const start = useClusters()

  it('serves the maintenance paths a DR secondary has in Vault, and answers 501 for the ones not emulated', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(primary, {
      paths: ['sys/replication/dr/secondary/reindex', 'sys/replication/dr/secondary/merkle-check'],
    })
    await replicate(primary, secondary)
    const op = { dr_operation_token: drToken }

    const reindex = await drCall(secondary, 'secondary/reindex', op)
    expect(reindex.status).toBe(200)
    expect(reindex.body.warnings).toHaveLength(1)
    expect((await drCall(secondary, 'secondary/reindex', {})).status).toBe(400)

    const check = await drCall(secondary, 'secondary/merkle-check', op)
    expect(check.status).toBe(200)
    const report = (check.body.data as { merkle_corruption_report: Record<string, unknown> }).merkle_corruption_report
    expect(Object.keys(report).sort()).toEqual(['corrupted_root', 'corrupted_tree_map', 'last_corruption_check_epoch'])
    expect(report.corrupted_tree_map).toMatchObject({
      '1': { corrupted_subtree_root: false, tree_type: 'replicated', root_hash: expect.any(String) },
      '2': { tree_type: 'local' },
    })
    expect((await drStatus(secondary)).last_corruption_check_epoch).not.toBe('-62135596800')

    expect((await vault('GET', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/license/status`)).status).toBe(200)
    expect((await drCall(secondary, 'secondary/recover')).status).toBe(200)
    // With a client token of the replicated store (the primary's: the secondary's own were wiped at activation).
    expect((await drCall(secondary, 'secondary/generate-public-key', {}, primary.rootToken)).status).toBe(200)
    const notEmulated = await drCall(secondary, 'secondary/license/signed')
    expect(notEmulated.status).toBe(501)
    expect(errorsOf(notEmulated.body)).not.toContain('path disabled in replication DR secondary mode')
    // Still locked down: the normal API.
    const locked = await vault('GET', `${secondary.apiUrl}/v1/sys/policies/acl/default`, { token: primary.rootToken })
    expect(errorsOf(locked.body)).toEqual(['path disabled in replication DR secondary mode'])
  })
})
