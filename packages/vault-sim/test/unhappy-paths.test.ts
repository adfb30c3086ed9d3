import { describe, expect, it } from 'vitest'
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
} from './helpers/clusters.ts'
import { drCall, mintBatchDrToken } from './helpers/dr-tokens.ts'
import { waitFor } from './helpers/vault-http.ts'

// The unhappy paths of issue 15, each with the status and text the fact sheet gives (or the documented choice).

describe('unhappy paths of promote, demote and update-primary', () => {
  const start = useClusters()

  it('promote: without a token, with a wrong or expired one, on a primary, and while catching up', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2', timings: { ...fastTimings, merkleSyncMs: 60_000 } })
    await enablePrimary(primary)
    const drToken = await mintBatchDrToken(primary)
    const expiring = await mintBatchDrToken(primary, { name: 'dr-short', ttl: '1s' })
    expect((await enableSecondary(secondary, { token: await secondaryToken(primary, 'dc2') })).status).toBe(200)
    await waitForActive(secondary)
    const promote = (body: Record<string, unknown>) => drCall(secondary, 'secondary/promote', body)

    const missing = await promote({})
    expect([missing.status, errorsOf(missing.body)]).toEqual([400, ['DR operation token was not provided']])
    const wrong = await promote({ dr_operation_token: 'hvb.not-a-token' })
    expect([wrong.status, errorsOf(wrong.body)]).toEqual([403, ['permission denied']])
    await waitFor(
      () => promote({ dr_operation_token: expiring }),
      (r) => r.status === 403,
      { what: 'the short token to expire', timeoutMs: 4_000, intervalMs: 100 },
    )
    const onPrimary = await drCall(primary, 'secondary/promote', { dr_operation_token: drToken })
    expect([onPrimary.status, errorsOf(onPrimary.body)]).toEqual([
      400,
      ['this cluster is not a DR replication secondary'],
    ])

    await waitFor(
      () => drStatus(secondary),
      (s) => s.state === 'merkle-sync',
      { what: 'merkle-sync' },
    )
    const catchingUp = await promote({ dr_operation_token: drToken })
    expect(catchingUp.status).toBe(503)
    expect(errorsOf(catchingUp.body)).toEqual([
      'replication is still catching up, try again later or provide the force argument',
    ])
    expect((await drStatus(secondary)).mode).toBe('secondary')
  })

  it('demote of a secondary: the DR-secondary lockdown answers', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    await replicate(primary, secondary)
    const demote = await drCall(secondary, 'primary/demote', {}, primary.rootToken)
    expect([demote.status, errorsOf(demote.body)]).toEqual([400, ['path disabled in replication DR secondary mode']])
  })

  it('update-primary with a used activation token: the failed unwrap at the primary, and nothing changes', async () => {
    const dc1 = await start({ name: 'dc1' })
    const dc2 = await start({ name: 'dc2' })
    const drToken = await mintBatchDrToken(dc1)
    await replicate(dc1, dc2)
    await drCall(dc1, 'primary/demote', {}, dc1.rootToken)
    expect((await drCall(dc2, 'secondary/promote', { dr_operation_token: drToken })).status).toBe(200)
    await waitForActive(dc2)
    await waitForActive(dc1)
    const token = await secondaryToken({ ...dc2, rootToken: dc1.rootToken }, 'dc1')
    const update = () => drCall(dc1, 'secondary/update-primary', { dr_operation_token: drToken, token })
    expect((await update()).status).toBe(200)
    await waitForActive(dc1)
    const used = await update()
    expect(used.status).toBe(500)
    expect(errorsOf(used.body)).toEqual([
      'error response unwrapping secondary token; status code is 400, message is "400 Bad Request"',
    ])
    expect((await drStatus(dc1)).secondary_id).toBe('dc1')
  })

  it('update_primary_addrs on a newly demoted secondary is refused: it needs an activation token', async () => {
    const primary = await start({ name: 'dc1' })
    const drToken = await mintBatchDrToken(primary)
    await enablePrimary(primary)
    await drCall(primary, 'primary/demote', {}, primary.rootToken)
    await waitForActive(primary)
    const refused = await drCall(primary, 'secondary/update-primary', {
      dr_operation_token: drToken,
      update_primary_addrs: ['https://127.0.0.1:8201'],
    })
    expect(refused.status).toBe(400)
    expect(errorsOf(refused.body)[0]).toMatch(/update-primary needs an activation token/)
  })
})
