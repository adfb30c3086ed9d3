import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { clusterOf, type SwitchStack, startSwitchStack, until, waitForOperation } from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const DOWN_FOR_MS = 10_000
/** Longer than down_for and a few watcher rounds: had the watcher meant to fail over, it would have. */
const HELD_FOR_MS = DOWN_FOR_MS + 3_000

async function setAuto(s: SwitchStack, secondary: string, body: Record<string, unknown>) {
  const res = await s.api.PUT('/v1/pairs/{secondary}/auto-failover', {
    params: { path: { secondary } },
    body: body as never,
  })
  return { status: res.response.status, data: res.data, error: res.error as never as { detail?: string } }
}

async function pair(s: SwitchStack, secondary = 'dc2') {
  const res = await s.api.GET('/v1/pairs/{secondary}', { params: { path: { secondary } } })
  if (!res.data) throw new Error(`getPair: ${res.response.status} ${JSON.stringify(res.error)}`)
  return res.data
}

async function failovers(s: SwitchStack) {
  const res = await s.api.GET('/v1/operations', { params: { query: { kind: 'failover', limit: 50 } } })
  if (!res.data) throw new Error(`listOperations: ${JSON.stringify(res.error)}`)
  return res.data.operations
}

const planOf = async (s: SwitchStack) => {
  const res = await s.api.POST('/v1/failovers/plan', { body: { to: 'dc2', down_for: '10s' } as never })
  if (!res.data) throw new Error(`planFailover: ${JSON.stringify(res.error)}`)
  return res.data
}

describe('automatic failover, opt-in per pair, on vault-sim with agents and the gateway as processes', () => {
  it('does nothing for a partition or while off; once on, fails a lost site over once, and not again inside the block window', async () => {
    stack = await startSwitchStack({
      gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200', VAULT_DR_AUTO_FAILOVER_BLOCK: '10m' },
    })
    const s = stack
    secrets.push(...s.secrets)
    const dc1 = clusterOf(s, 'dc1')
    const dc2 = clusterOf(s, 'dc2')

    // Off by default; bad input names the field; a secondary that is no pair is 404.
    expect((await pair(s)).auto_failover).toMatchObject({ enabled: false, last_fired_at: null, blocked_until: null })
    const short = await setAuto(s, 'dc2', { enabled: true, down_for: '5s' })
    expect(short.status).toBe(400)
    expect(short.error.detail).toContain('down_for')
    const notBool = await setAuto(s, 'dc2', { enabled: 'yes' })
    expect(notBool.status).toBe(400)
    expect(notBool.error.detail).toContain('enabled')
    const extra = await setAuto(s, 'dc2', { enabled: true, when: 'now' })
    expect(extra.status).toBe(400)
    expect(extra.error.detail).toContain('when')
    expect((await setAuto(s, 'dc1', { enabled: true })).status).toBe(404)

    const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
      params: { path: { secondary: 'dc2' } },
    })
    expect(rotated.response.status).toBe(200)
    await until('dc2 caught up', 10_000, async () => lagAsIs((await pair(s)).lag, dc1, dc2) === 0)

    // A partition: dc1 healthy, its cluster port closed to the DR site. On, and nothing happens.
    const on = await setAuto(s, 'dc2', { enabled: true, down_for: '10s' })
    expect(on.status, JSON.stringify(on.error)).toBe(200)
    expect(on.data).toMatchObject({ enabled: true, down_for: '10s', last_fired_at: null, blocked_until: null })
    await dc1.faults.closeClusterListener()
    // Lost once its last heartbeat is older than STREAM_HEARTBEAT_STALE_S (10 s), which alone may take all of 10 s.
    await until('the stream seen lost', 30_000, async () =>
      (await planOf(s)).vantage_points.some((v) => v.point === 'secondary_vault' && v.reaches === false),
    )
    await sleep(HELD_FOR_MS)
    expect((await planOf(s)).primary_verdict).toBe('healthy')
    expect(await failovers(s)).toEqual([])
    expect(dc2.state().drMode).toBe('secondary')
    await dc1.faults.reopenClusterListener()
    await until('dc2 streams again', 15_000, async () => (await pair(s)).connection_state === 'ready')
    await until('dc2 caught up again', 10_000, async () => lagAsIs((await pair(s)).lag, dc1, dc2) === 0)

    // The site lost while automatic failover is off: nothing happens.
    expect((await setAuto(s, 'dc2', { enabled: false, down_for: '10s' })).status).toBe(200)
    await dc1.faults.isolate('refuse')
    await until('dc1 seen lost', 10_000, async () => (await planOf(s)).primary_verdict !== 'healthy')
    await sleep(HELD_FOR_MS)
    // Allowed: a failover asked for now would start; the watcher leaves the pair alone.
    expect((await planOf(s)).allowed).toBe(true)
    expect(await failovers(s)).toEqual([])
    expect(dc2.state().drMode).toBe('secondary')

    // Turned on while the site is lost: exactly one failover, by the gateway itself.
    const turnedOn = Date.now()
    expect((await setAuto(s, 'dc2', { enabled: true, down_for: '10s' })).status).toBe(200)
    await until('an automatic failover', 10_000, async () => (await failovers(s)).length > 0)
    const fired = Date.now() - turnedOn
    const [auto] = await failovers(s)
    expect(auto?.subject).toMatchObject({ from: 'dc1', to: 'dc2', down_for: '10s', allow_data_loss: false })
    const done = await waitForOperation(s, auto?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(dc2.state().drMode).toBe('primary')
    console.log(`automatic failover started ${fired} ms after it was turned on for a site lost for over 10 s`)
    expect(s.gateway.output.some((l) => l.includes('automatic failover started'))).toBe(true)

    // dc1 returns (demoted by its fence), rejoins, and a failback by switchover makes dc2 its secondary again.
    await dc1.faults.rejoin()
    await until('dc1 demoted', 10_000, () => dc1.state().drMode === 'secondary')
    const rejoin = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
    expect(rejoin.response.status, JSON.stringify(rejoin.error)).toBe(202)
    expect((await waitForOperation(s, rejoin.data?.id as string)).state).toBe('succeeded')
    const failback = await s.api.POST('/v1/switchovers', { body: { to: 'dc1' } as never })
    expect(failback.response.status, JSON.stringify(failback.error)).toBe(202)
    expect((await waitForOperation(s, failback.data?.id as string)).state).toBe('succeeded')
    expect(dc1.state().drMode).toBe('primary')
    const view = (await pair(s)).auto_failover
    expect(view).toMatchObject({ enabled: true, down_for: '10s' })
    expect(Date.parse(view?.blocked_until as string)).toBe(Date.parse(auto?.created_at as string) + 600_000)
    expect(view?.last_fired_at).not.toBeNull()

    // A second loss inside the block window: the plan would allow a failover, the watcher starts none.
    await until('dc2 caught up after the failback', 15_000, async () => lagAsIs((await pair(s)).lag, dc1, dc2) === 0)
    await dc1.faults.isolate('refuse')
    await until('a failover allowed again', 25_000, async () => (await planOf(s)).allowed)
    await sleep(3_000)
    expect(await failovers(s)).toHaveLength(1)
    expect(dc2.state().drMode).toBe('secondary')
    expect(s.gateway.output.some((l) => l.includes('"decision":"blocked"'))).toBe(true)
    await dc1.faults.rejoin()
  }, 150_000)
})
