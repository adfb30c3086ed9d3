import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

let stack: E2EStack | undefined

afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

it('a secondary cut off in the middle of a merkle sync: the failover plan counts the WALs the sync had not brought, and refuses', async () => {
  const s = await startE2EStack()
  stack = s
  expect((await waitForHandshake(s, (await createHandshake(s)).id)).state).toBe('succeeded')
  const rotated = await s.gatewayApi.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status).toBe(200)
  const plan = async (body: { down_for?: string; allow_data_loss?: boolean } = {}) => {
    const res = await s.gatewayApi.POST('/v1/failovers/plan', { body: { to: 'dc2', ...body } as never })
    if (!res.data) throw new Error(`planFailover answered ${res.response.status}: ${JSON.stringify(res.error)}`)
    return res.data
  }
  await expect.poll(async () => lagAsIs((await plan()).pair.lag, s.primary, s.secondary), { timeout: 10_000 }).toBe(0)

  // The stream stops, the primary takes three writes, and the secondary's next sync of them never ends.
  s.secondary.faults.setTimings({ merkleSyncMs: 600_000 })
  await s.primary.faults.closeClusterListener()
  for (let i = 0; i < 3; i++) s.primary.faults.write()
  // Its log shipper no longer holds them: the secondary cannot resume its stream and needs a merkle sync.
  s.primary.faults.dropWalBuffer()
  const lastWal = s.primary.state().lastWal
  const before = s.secondary.state().lastWal
  expect(before).toBe(lastWal - 3)
  // The gateway reads the primary's last WAL (its plans, its keeping-in-touch rounds every 3 s).
  await expect.poll(async () => (await plan()).data_loss.primary_last_wal, { timeout: 15_000 }).toBe(lastWal)
  await s.primary.faults.reopenClusterListener()
  await expect.poll(() => s.secondary.state().drState, { timeout: 10_000 }).toBe('merkle-sync')
  // Connected and hearing from the primary, it has not received the three WALs yet.
  await sleep(500)
  expect(s.secondary.state()).toMatchObject({ connectionState: 'ready', lastWal: before })

  await s.primary.faults.isolate('refuse')
  await s.primaryAgent.stop('SIGKILL')
  await expect.poll(async () => (await plan({ down_for: '2s' })).primary_verdict, { timeout: 20_000 }).toBe('down')
  const down = await plan({ down_for: '2s' })
  expect(down.data_loss).toMatchObject({ wals: 3, primary_last_wal: lastWal, secondary_last_remote_wal: before })
  expect(down.allowed).toBe(false)
  expect(down.refusal?.code).toBe('DATA_LOSS')
  const failover = await s.gatewayApi.POST('/v1/failovers', { body: { to: 'dc2', down_for: '2s' } as never })
  expect(failover.response.status).toBe(409)
  expect(s.secondary.state().drMode).toBe('secondary')
})
