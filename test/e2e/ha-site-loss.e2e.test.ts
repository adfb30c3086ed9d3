import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { waitOn } from '../helpers/ha-gateways.ts'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { clusterOf, kvRead, kvWrite, type SwitchStack, startSwitchStack, until } from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

type Api = SwitchStack['gateways'][number]['api']
type Body = { to: string; down_for?: string; allow_data_loss?: boolean }

/**
 * Site A (dc1, its agent, gateway-1, etcd member 0) and site B (dc2, its agent, gateway-2); etcd members 1 and 2
 * elsewhere. The operator works through site A's gateway; site B's only runs its background rounds, the pairs upkeep
 * every second here (60 s by default) and the fence and automatic-failover checks every 200 ms.
 */
async function startSites(): Promise<{ s: SwitchStack; siteA: Api; siteB: Api }> {
  stack = await startSwitchStack({
    store: 'etcd',
    gateways: 2,
    gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200', VAULT_DR_PAIRS_UPKEEP_MS: '1000', VAULT_DR_LEASE_MS: '2000' },
  })
  secrets.push(...stack.secrets)
  const [siteA, siteB] = [stack.gateways[0]?.api as Api, stack.gateways[1]?.api as Api]
  // The batch DR operation token a failover promotes with, kept sealed in the shared store.
  const rotated = await siteA.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status, JSON.stringify(rotated.error)).toBe(200)
  return { s: stack, siteA, siteB }
}

/** Whether a gateway has read the pair itself (its upkeep, here): the pair's lag is among its metrics. */
async function hasReadPair(s: SwitchStack, index: number): Promise<boolean> {
  const res = await fetch(`${s.gateways[index]?.service.url}/metrics`)
  return /^vault_dr_pair_lag_wals\{primary="dc1",secondary="dc2"[^}]*\} 0$/m.test(await res.text())
}

/** Everything in site A at once: its Vault unreachable, its agent and gateway killed, its etcd member stopped. */
async function loseSiteA(s: SwitchStack): Promise<void> {
  await Promise.all([
    clusterOf(s, 'dc1').faults.isolate('refuse'),
    s.agents.dc1?.stop('SIGKILL'),
    s.gateways[0]?.service.stop('SIGKILL'),
    s.etcd?.stop(0),
  ])
}

async function plan(api: Api, body: Body) {
  const res = await api.POST('/v1/failovers/plan', { body: body as never })
  if (!res.data) throw new Error(`planFailover: ${res.response.status} ${JSON.stringify(res.error)}`)
  return res.data
}

async function failovers(api: Api) {
  const res = await api.GET('/v1/operations', { params: { query: { kind: 'failover', limit: 50 } } })
  if (!res.data) throw new Error(`listOperations: ${JSON.stringify(res.error)}`)
  return res.data.operations
}

/** dc2 the one primary, taking writes, holding every write dc1 took before the loss. */
async function expectDc2Serves(s: SwitchStack, before: string[]) {
  const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
  expect(dc2.state().drMode).toBe('primary')
  expect(dc1.state().drMode).toBe('primary') // lost, not demoted: the fence keeps it out when it returns
  expect(s.simEvents.filter((e) => e.includes('promoted to primary'))).toHaveLength(1)
  expect(await kvWrite(dc2, s.rootToken, 'after/0')).toBe(true)
  expect(await kvRead(dc2, s.rootToken, 'after/0')).toBe('after/0')
  for (const path of before) expect(await kvRead(dc2, s.rootToken, path)).toBe(path)
}

const FAILOVER_STEPS = [
  'preflight',
  'promote_secondary',
  'fence_old_primary',
  'verify_new_primary',
  'new_dr_operation_token',
  'record_pairs',
]

describe('the primary site lost with its gateway and its etcd member: the gateway of the other site fails over', () => {
  it('gateway-2 sees the primary lost from its vantage points, plans and runs the failover, and dc2 takes writes', async () => {
    const { s, siteA, siteB } = await startSites()
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    const before = ['before/0', 'before/1', 'before/2']
    for (const path of before) expect(await kvWrite(dc1, s.rootToken, path)).toBe(true)
    await until(
      'dc2 caught up',
      10_000,
      async () => lagAsIs((await plan(siteA, { to: 'dc2' })).pair.lag, dc1, dc2) === 0,
    )
    await until("gateway-2's upkeep read the pair caught up", 10_000, () => hasReadPair(s, 1))

    await loseSiteA(s)
    // Two etcd members of three keep a quorum (a new leader within a second if member 0 led): gateway-2 is ready.
    await until('gateway-2 ready on two etcd members', 10_000, async () => {
      const ready = await fetch(`${s.gateways[1]?.service.url}/readyz`)
      return ready.status === 200
    })
    const body = { to: 'dc2', down_for: '2s' }
    await until(
      'dc1 judged down by gateway-2',
      20_000,
      async () => (await plan(siteB, body)).primary_verdict === 'down',
    )
    const seen = await plan(siteB, body)
    const reaches = Object.fromEntries(seen.vantage_points.map((v) => [v.point, v.reaches]))
    expect(reaches).toMatchObject({ gateway: false, primary_agent: null, secondary_agent: false })
    // Known and nil: gateway-2's upkeep read the primary within a round of its loss, so allow_data_loss is not needed.
    expect(seen.allowed, JSON.stringify(seen.refusal)).toBe(true)
    expect(seen.data_loss).toMatchObject({ wals: 0 })

    const created = await siteB.POST('/v1/failovers', { body: body as never })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const done = await waitOn(siteB, created.data?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.steps.map((st) => st.name)).toEqual(FAILOVER_STEPS)
    expect(done.result).toMatchObject({ wals_lost: 0 })
    await expectDc2Serves(s, before)
    const pairs = await siteB.GET('/v1/pairs')
    expect(pairs.data?.pairs).toEqual([])
  }, 90_000)

  it('with auto_failover on the pair, gateway-2 starts the failover itself once the site is down for down_for', async () => {
    const { s, siteA, siteB } = await startSites()
    // Turned on through site A's gateway: the setting lives in the shared store, where gateway-2's watcher reads it.
    const on = await siteA.PUT('/v1/pairs/{secondary}/auto-failover', {
      params: { path: { secondary: 'dc2' } },
      body: { enabled: true, down_for: '10s' } as never,
    })
    expect(on.response.status, JSON.stringify(on.error)).toBe(200)
    const before = ['before/0', 'before/1', 'before/2']
    for (const path of before) expect(await kvWrite(clusterOf(s, 'dc1'), s.rootToken, path)).toBe(true)
    await until('dc2 caught up', 10_000, async () => {
      const pair = await siteA.GET('/v1/pairs/{secondary}', { params: { path: { secondary: 'dc2' } } })
      return pair.data !== undefined && lagAsIs(pair.data.lag, clusterOf(s, 'dc1'), clusterOf(s, 'dc2')) === 0
    })
    // Without a read of its own, gateway-2 could not know what a failover loses, and would start none by itself.
    await until('gateway-2 read the pair caught up', 10_000, () => hasReadPair(s, 1))
    // Unattended, a failover needs something that fences dc1 if its site is only cut off: self-fencing on its agent
    // (without it the watcher would hold, no_self_fence). With it, the plan waits until the agent has fenced dc1.
    const reached = await plan(siteB, { to: 'dc2', down_for: '10s' })
    expect(reached.old_primary_fence).toMatchObject({ by: 'gateway', fence_on_isolation_ms: null })
    await s.restartAgent('dc1', { env: { VAULT_DR_FENCE_ON_ISOLATION: '10s' }, signal: 'SIGTERM' })
    await until("gateway-2 saw dc1's agent fencing itself on isolation", 10_000, async () => {
      const pair = await siteB.GET('/v1/pairs/{secondary}', { params: { path: { secondary: 'dc2' } } })
      return pair.data?.clusters.primary.fence_on_isolation_ms === 10_000
    })

    const lostAt = Date.now()
    await loseSiteA(s)
    await until('an automatic failover', 40_000, async () => (await failovers(siteB)).length > 0)
    const started = Date.now() - lostAt
    const [auto] = await failovers(siteB)
    expect(auto?.subject).toMatchObject({ from: 'dc1', to: 'dc2', down_for: '10s', allow_data_loss: false })
    const done = await waitOn(siteB, auto?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.steps.map((st) => st.name)).toEqual(FAILOVER_STEPS)
    await expectDc2Serves(s, before)
    expect(s.gateways[1]?.service.output.some((l) => l.includes('automatic failover started'))).toBe(true)
    expect(await failovers(siteB)).toHaveLength(1)
    // Not before dc1's agent would surely have fenced it: 5 s + its 10 s + two 2.5 s checks after gateway-2 lost it.
    expect(started).toBeGreaterThanOrEqual(20_000)
    console.log(`gateway-2 started the failover ${started} ms after site A was lost (down_for 10 s, self-fence 10 s)`)
  }, 90_000)
})
