import { describe, expect, it } from 'vitest'
import { drStatus, errorsOf, replicate, useClusters, waitForCaughtUp } from './helpers/clusters.ts'
import { drCall, mintBatchDrToken, mintServiceToken } from './helpers/dr-tokens.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const autopilotState = 'v1/sys/storage/raft/autopilot/state'

describe('DR operation tokens made as fact sheet 2.6 gives', () => {
  const start = useClusters()

  it('mints an orphan, non-renewable batch token with no accessor and the requested TTL', async () => {
    const primary = await start({ name: 'dc1' })
    const token = await mintBatchDrToken(primary)
    const looked = await vault('GET', `${primary.apiUrl}/v1/auth/token/lookup-self`, { token })
    expect(looked.body.data).toMatchObject({
      accessor: '',
      type: 'batch',
      orphan: true,
      renewable: false,
      creation_ttl: 8 * 3600,
      path: 'auth/token/create/dr-secondary-promotion',
      policies: ['default', 'dr-secondary-promotion'],
    })
  })

  it('is a batch token only by the role: a batch token from a non-orphan request has a parent', async () => {
    const primary = await start({ name: 'dc1' })
    const created = await vault('POST', `${primary.apiUrl}/v1/auth/token/create`, {
      token: primary.rootToken,
      body: { type: 'batch', policies: ['default'] },
    })
    expect(created.body.auth).toMatchObject({ token_type: 'batch', accessor: '', orphan: false })
  })

  it('cannot be revoked, while a service token can', async () => {
    const primary = await start({ name: 'dc1' })
    const batch = await mintBatchDrToken(primary)
    const service = await mintServiceToken(primary, ['default'])
    const revoke = (token: string) =>
      vault('POST', `${primary.apiUrl}/v1/auth/token/revoke`, { token: primary.rootToken, body: { token } })
    const refused = await revoke(batch)
    expect(refused.status).toBe(400)
    expect(errorsOf(refused.body)).toEqual(['batch tokens cannot be revoked'])
    expect((await revoke(service)).status).toBe(204)
    expect((await vault('GET', `${primary.apiUrl}/v1/auth/token/lookup-self`, { token: service })).status).toBe(403)
    expect((await vault('GET', `${primary.apiUrl}/v1/auth/token/lookup-self`, { token: batch })).status).toBe(200)
  })

  it('is accepted on the DR secondary, whether minted before or after activation; root and service tokens are not', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const before = await mintBatchDrToken(primary)
    const service = await mintServiceToken(primary, ['dr-secondary-promotion'])
    await replicate(primary, secondary)
    const after = await mintBatchDrToken(primary, { name: 'dr-later' })
    const target = (await drStatus(primary)).last_wal
    await waitFor(
      () => drStatus(secondary),
      (s) => s.last_remote_wal === target,
      { what: 'the later token to replicate' },
    )

    for (const token of [primary.rootToken, service, 'hvb.forged']) {
      const refused = await drCall(secondary, 'secondary/promote', { dr_operation_token: token })
      expect(refused.status).toBe(403)
      expect(errorsOf(refused.body)).toEqual(['permission denied'])
    }
    const missing = await drCall(secondary, 'secondary/promote', {})
    expect(missing.status).toBe(400)
    expect(errorsOf(missing.body)).toEqual(['DR operation token was not provided'])

    for (const token of [before, after]) {
      const check = await vault('GET', `${secondary.apiUrl}/${autopilotState}`, { token })
      expect(check.status).toBe(200)
    }
    expect((await drStatus(secondary)).mode).toBe('secondary')
    expect((await drCall(secondary, 'secondary/promote', { dr_operation_token: after })).status).toBe(200)
  })

  it('is accepted only for calls its policy allows', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const disableOnly = await mintBatchDrToken(primary, {
      name: 'dr-disable-only',
      paths: ['sys/replication/dr/secondary/disable'],
    })
    const readOnly = await mintBatchDrToken(primary, { name: 'dr-read-only', capabilities: ['read'] })
    await replicate(primary, secondary)
    const promote = await drCall(secondary, 'secondary/promote', { dr_operation_token: disableOnly })
    expect(promote.status).toBe(403)
    const withRead = await drCall(secondary, 'secondary/promote', { dr_operation_token: readOnly })
    expect(withRead.status).toBe(403)
    expect((await drStatus(secondary)).mode).toBe('secondary')
  })

  it('expires at its TTL, on the primary and the secondary alike', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const shortLived = await mintBatchDrToken(primary, { ttl: '2s' })
    // Usable on the secondary once what the mint wrote (its policy) has replicated there.
    await waitForCaughtUp(primary, secondary)
    expect((await vault('GET', `${secondary.apiUrl}/${autopilotState}`, { token: shortLived })).status).toBe(200)
    await waitFor(
      () => vault('GET', `${secondary.apiUrl}/${autopilotState}`, { token: shortLived }),
      (r) => r.status === 403,
      { what: 'the token to expire', timeoutMs: 5_000, intervalMs: 100 },
    )
    const promote = await drCall(secondary, 'secondary/promote', { dr_operation_token: shortLived })
    expect(promote.status).toBe(403)
    expect((await vault('GET', `${primary.apiUrl}/v1/auth/token/lookup-self`, { token: shortLived })).status).toBe(403)
  })
})

describe('the harmless validation call: sys/storage/raft/autopilot/state on a DR secondary', () => {
  const start = useClusters()

  it('answers a valid DR operation token given as X-Vault-Token, and refuses anything else', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const token = await mintBatchDrToken(primary)
    const noRaftGrant = await mintBatchDrToken(primary, { name: 'promote-only', raft: false })
    await replicate(primary, secondary)
    const call = (t?: string) => vault('GET', `${secondary.apiUrl}/${autopilotState}`, t ? { token: t } : {})

    const ok = await call(token)
    expect(ok.status).toBe(200)
    expect(ok.body.data).toMatchObject({
      healthy: true,
      failure_tolerance: expect.any(Number),
      leader: expect.any(String),
      voters: [expect.any(String)],
    })
    for (const bad of [undefined, 'hvb.nope', primary.rootToken]) {
      const refused = await call(bad)
      expect(refused.status, String(bad)).toBe(403)
      expect(errorsOf(refused.body)).toEqual(['permission denied'])
    }
    // The policy without the raft path: the raft grant is part of the recipe for a reason.
    expect((await call(noRaftGrant)).status).toBe(403)
    // A cluster that lost its quorum's voters says so.
    secondary.faults.setRaftHealthy(false)
    expect((await call(token)).body.data).toMatchObject({ healthy: false, failure_tolerance: 0 })
    secondary.faults.setRaftHealthy(true)
    // The call changes nothing.
    expect(await drStatus(secondary)).toMatchObject({ mode: 'secondary', state: 'stream-wals' })
  })

  it('takes the raft configuration by PUT with dr_operation_token; GET stays locked down (P11)', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const token = await mintBatchDrToken(primary, {
      name: 'raft-peers',
      paths: ['sys/storage/raft/configuration'],
    })
    await replicate(primary, secondary)
    const url = `${secondary.apiUrl}/v1/sys/storage/raft/configuration`
    const peers = await vault('PUT', url, { body: { dr_operation_token: token } })
    expect(peers.status).toBe(200)
    expect(peers.body.data).toMatchObject({ config: { servers: [{ leader: true, voter: true }] } })
    const locked = await vault('GET', url, { token })
    expect(locked.status).toBe(400)
    expect(errorsOf(locked.body)).toEqual(['path disabled in replication DR secondary mode'])
    // A normal cluster answers its own tokens.
    expect(
      (await vault('GET', `${primary.apiUrl}/v1/sys/storage/raft/configuration`, { token: primary.rootToken })).status,
    ).toBe(200)
  })
})
