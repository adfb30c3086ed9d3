import { afterAll, afterEach, expect, it } from 'vitest'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type SwitchStack,
  startSwitchStack,
  until,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

it('an old primary a failover fenced rejoins the primary of its replication set now, after a switchover moved the role on; a switchover from it is refused meanwhile', async () => {
  stack = await startSwitchStack({ clusters: 3, gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200' } })
  const s = stack
  secrets.push(...s.secrets)
  const [dc1, dc2, dc3] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2'), clusterOf(s, 'dc3')]
  const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status).toBe(200)
  expect(await kvWrite(dc1, s.rootToken, 'before/0')).toBe(true)
  const plan = async () =>
    (await s.api.POST('/v1/failovers/plan', { body: { to: 'dc2', down_for: '2s' } as never })).data
  await until('dc2 caught up', 10_000, async () => {
    const lag = (await plan())?.pair.lag
    return lag !== undefined && lagAsIs(lag, dc1, dc2) === 0
  })

  // dc1's site is lost: fail over to dc2 (dc3 follows it).
  await dc1.faults.isolate('refuse')
  await until('dc1 judged down', 20_000, async () => (await plan())?.primary_verdict === 'down')
  const failover = await s.api.POST('/v1/failovers', { body: { to: 'dc2', down_for: '2s' } as never })
  expect(failover.response.status, JSON.stringify(failover.error)).toBe(202)
  const failed = await waitForOperation(s, failover.data?.id as string)
  expect(failed.state, JSON.stringify(failed.error)).toBe('succeeded')

  // While dc1 is away, the primary role moves on from dc2 to dc3 by switchover: dc2 follows dc3.
  const moved = await s.api.POST('/v1/switchovers', { body: { to: 'dc3' } as never })
  expect(moved.response.status, JSON.stringify(moved.error)).toBe(202)
  const switched = await waitForOperation(s, moved.data?.id as string)
  expect(switched.state, JSON.stringify(switched.error)).toBe('succeeded')
  expect(dc3.state().drMode).toBe('primary')

  // dc1 is fenced: it is no primary to switch over from, whatever it would say of itself.
  const fromFenced = await s.api.POST('/v1/switchovers/plan', { body: { to: 'dc2', from: 'dc1' } as never })
  expect(fromFenced.data?.ok).toBe(false)
  expect(fromFenced.data?.checks.find((c) => c.name === 'from_fenced')).toMatchObject({
    status: 'fail',
    code: 'FENCED',
    detail: expect.stringContaining(`failover ${failed.id}`),
  })

  // The site comes back: the gateway demotes dc1, and the rejoin makes it dc3's DR secondary, not dc2's.
  await dc1.faults.rejoin()
  await until('dc1 demoted', 10_000, () => dc1.state().drMode === 'secondary')
  const fence = async () =>
    (await s.api.GET('/v1/clusters/{name}', { params: { path: { name: 'dc1' }, query: { live: 'false' } } })).data
      ?.fence
  await expect.poll(async () => (await fence())?.demoted_at ?? null, { timeout: 5_000 }).not.toBeNull()
  const rejoin = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
  expect(rejoin.response.status, JSON.stringify(rejoin.error)).toBe(202)
  expect(rejoin.data?.subject).toMatchObject({ cluster: 'dc1', primary: 'dc3', failover_id: failed.id })
  const rejoined = await waitForOperation(s, rejoin.data?.id as string)
  expect(rejoined.state, JSON.stringify(rejoined.error)).toBe('succeeded')
  expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
  expect(await kvWrite(dc3, s.rootToken, 'after/0')).toBe(true)
  // A DR secondary serves no reads: what it holds shows in its WALs, dc3's last one included.
  const written = dc3.state().lastWal
  await until('dc1 has the write made on dc3', 10_000, () => dc1.state().lastWal >= written)
  expect(await kvRead(dc3, s.rootToken, 'before/0')).toBe('before/0')
  const pairs = await s.api.GET('/v1/pairs')
  expect(pairs.data?.pairs.map((p) => [p.secondary, p.primary]).sort()).toEqual([
    ['dc1', 'dc3'],
    ['dc2', 'dc3'],
  ])
  expect(await fence()).toBeNull()
  expect(dc2.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
})
