import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { returnAndMeasureDemote } from '../helpers/returning-primary.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  stepOf,
  until,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

type Body = { to: string; down_for?: string; allow_data_loss?: boolean }
async function plan(s: SwitchStack, body: Body) {
  const res = await s.api.POST('/v1/failovers/plan', { body: body as never })
  if (!res.data) throw new Error(`planFailover: ${res.response.status} ${JSON.stringify(res.error)}`)
  return res.data
}
async function failover(s: SwitchStack, body: Body) {
  const res = await s.api.POST('/v1/failovers', { body: body as never })
  return {
    status: res.response.status,
    data: res.data as Operation | undefined,
    error: res.error as never as { code?: string; detail?: string; fix?: string },
  }
}

describe.each(['sqlite', 'etcd'] as const)(
  'failover when the primary site is lost, on the %s store, on vault-sim with agents and the gateway as processes',
  (store) => {
    it('refuses a healthy primary and a loss not allowed, promotes dc2 with the kept token, dc3 follows; the returning dc1 is demoted and rejoins; failback by switchover', async () => {
      stack = await startSwitchStack({ store, clusters: 3, gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200' } })
      const s = stack
      secrets.push(...s.secrets)
      const [dc1, dc2, dc3] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2'), clusterOf(s, 'dc3')]
      const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
        params: { path: { secondary: 'dc2' } },
      })
      expect(rotated.response.status).toBe(200)
      for (let i = 0; i < 5; i++) expect(await kvWrite(dc1, s.rootToken, `before/${i}`)).toBe(true)
      await until('dc2 caught up', 10_000, async () => lagAsIs((await plan(s, { to: 'dc2' })).pair.lag, dc1, dc2) === 0)

      const healthy = await failover(s, { to: 'dc2' })
      expect(healthy.status).toBe(409)
      expect(healthy.error.code).toBe('GATEWAY_ERR_FAILOVER_REFUSED')
      expect(healthy.error.detail).toContain('PRIMARY_HEALTHY')
      expect(healthy.error.fix).toContain('switchover')

      // The stream breaks first; dc1 takes two writes dc2 never gets; then the whole site is lost.
      await dc1.faults.closeClusterListener()
      for (let i = 0; i < 2; i++) expect(await kvWrite(dc1, s.rootToken, `lost/${i}`)).toBe(true)
      let behind = 0
      await until('dc2 seen behind', 10_000, async () => {
        behind = lagAsIs((await plan(s, { to: 'dc2' })).pair.lag, dc1, dc2) ?? 0
        return behind > 0
      })
      expect(behind).toBe(2)
      await dc1.faults.isolate('refuse')
      await until('dc1 seen gone', 10_000, async () => (await plan(s, { to: 'dc2' })).primary_verdict !== 'healthy')

      const early = await failover(s, { to: 'dc2', down_for: '1h' })
      expect(early.status).toBe(409)
      expect(early.error.detail).toContain('PRIMARY_NOT_DOWN')
      await until(
        'dc1 judged down',
        20_000,
        async () => (await plan(s, { to: 'dc2', down_for: '2s' })).primary_verdict === 'down',
      )
      const lossy = await failover(s, { to: 'dc2', down_for: '2s' })
      expect(lossy.status).toBe(409)
      expect(lossy.error.detail).toContain(`DATA_LOSS: the secondary lacks ${behind} WAL(s)`)
      expect(dc2.state().drMode).toBe('secondary')

      const created = await failover(s, { to: 'dc2', down_for: '2s', allow_data_loss: true })
      expect(created.status, JSON.stringify(created.error)).toBe(202)
      const done = await waitForOperation(s, created.data?.id as string)
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
      expect(done.steps.map((st) => st.name)).toEqual([
        'preflight',
        'promote_secondary',
        'fence_old_primary',
        'verify_new_primary',
        'update_primary:dc3',
        'new_dr_operation_token',
        'record_pairs',
      ])
      expect(done.result, JSON.stringify(done.result)).toMatchObject({ wals_lost: behind })
      expect(dc2.state().drMode).toBe('primary')
      expect(dc3.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc3' })
      expect(await kvWrite(dc2, s.rootToken, 'after/0')).toBe(true)
      for (let i = 0; i < 5; i++) expect(await kvRead(dc2, s.rootToken, `before/${i}`)).toBe(`before/${i}`)
      const pairs = await s.api.GET('/v1/pairs')
      expect(pairs.data?.pairs.map((p) => [p.secondary, p.primary])).toEqual([['dc3', 'dc2']])
      expect(stepOf(done, 'fence_old_primary')?.detail).toMatch(/agents refuse calls older than epoch \d+/)
      // On etcd, the pairs the operation recorded live in the cluster the stack started (not in a SQLite file).
      if (store === 'etcd') expect(await s.etcd?.keyCount('/vault-dr/pairings/')).toBeGreaterThan(0)

      // While dc1 is away, a switchover to it is no pair to plan: the answer says it is fenced, and what ends that.
      const toAway = await s.api.POST('/v1/switchovers/plan', { body: { to: 'dc1' } as never })
      expect(toAway.response.status).toBe(409)
      expect(toAway.error).toMatchObject({
        code: 'GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR',
        detail: `dc1 is fenced: failover ${done.id} promoted dc2 in its place, and it follows no primary until it rejoins`,
      })

      // The site comes back: the gateway demotes dc1 as soon as its agent reaches it again.
      const { windowMs: window, acceptedBeforeDemote } = await returnAndMeasureDemote(s, dc1)
      expect(window).toBeLessThan(3_000)
      console.log(`dc1 took writes for ${window} ms after its site returned, before the gateway demoted it`)

      // The registry shows the fence (its role stays primary until the rejoin), with the failover and the demote.
      const fenceOfDc1 = async () =>
        (await s.api.GET('/v1/clusters/{name}', { params: { path: { name: 'dc1' }, query: { live: 'false' } } })).data
          ?.fence
      expect(await fenceOfDc1()).toMatchObject({ failover_id: done.id, new_primary: 'dc2', pending: false })
      // The fence keeper records the demote once its agent answered it.
      await expect.poll(async () => (await fenceOfDc1())?.demoted_at ?? null, { timeout: 5_000 }).not.toBeNull()

      // A switchover to the fenced dc1 would have its agent demote it again: refused until it rejoined.
      const toFenced = await s.api.POST('/v1/switchovers/plan', { body: { to: 'dc1' } as never })
      expect(toFenced.data?.checks.find((c) => c.name === 'to_fenced')).toMatchObject({
        status: 'fail',
        code: 'FENCED',
      })

      const rejoin = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
      expect(rejoin.response.status, JSON.stringify(rejoin.error)).toBe(202)
      const rejoined = await waitForOperation(s, rejoin.data?.id as string)
      expect(rejoined.state, JSON.stringify(rejoined.error)).toBe('succeeded')
      expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
      // Lost: what dc2 never received, and what dc1 took after it came back, before the gateway demoted it.
      expect(
        rejoined.result,
        `${JSON.stringify(rejoined.result)} behind ${behind} accepted ${acceptedBeforeDemote}`,
      ).toMatchObject({ wals_lost: behind + acceptedBeforeDemote })
      expect(await kvRead(dc1, s.rootToken, 'lost/0')).toBeUndefined()
      const again = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
      expect(again.response.status).toBe(409)
      const unknown = await s.api.POST('/v1/rejoins', { body: { cluster: 'dc9' } })
      expect(unknown.response.status).toBe(400)
      expect(unknown.error).toMatchObject({ code: 'GATEWAY_ERR_UNKNOWN_CLUSTER' })
      expect((unknown.error as { detail?: string }).detail).toContain('body/cluster')

      const listed = await s.api.GET('/v1/clusters', { params: { query: { live: 'false' } } })
      expect(listed.data?.clusters.map((c) => [c.name, c.role, c.fence])).toEqual([
        ['dc1', 'secondary', null],
        ['dc2', 'primary', null],
        ['dc3', 'secondary', null],
      ])

      // Failback: an ordinary switchover (the rejoin ended the fence).
      const unfenced = await s.api.POST('/v1/switchovers/plan', { body: { to: 'dc1' } as never })
      expect(unfenced.data?.checks.map((c) => c.name)).not.toContain('to_fenced')
      const failback = await s.api.POST('/v1/switchovers', { body: { to: 'dc1' } as never })
      expect(failback.response.status, JSON.stringify(failback.error)).toBe(202)
      const fb = await waitForOperation(s, failback.data?.id as string)
      expect(fb.state, JSON.stringify(fb.error)).toBe('succeeded')
      expect(dc1.state().drMode).toBe('primary')
      expect(await kvRead(dc1, s.rootToken, 'after/0')).toBe('after/0')
      expect(s.simEvents.filter((e) => e.includes('enabled as secondary'))).toHaveLength(2)
    })
  },
)
