import { describe, expect, it } from 'vitest'
import { useGatewayFixture } from '../../test/helpers/gateway-fixture.ts'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'
import type { PairsService } from '../pairs/pairs.service.ts'
import type { Store } from '../store/store.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { createFailoverPlanner, observePairFor } from './failover-planner.ts'
import { failoverPreflight } from './failover-preflight.step.ts'
import { fenceKey } from './fence-record.ts'
import { SelfFenceSettings, type SelfFenceStore } from './self-fence-record.ts'
import { VantageHistory } from './vantage-history.ts'

const T = Date.parse('2026-12-05T00:00:00Z')
const s = (n: number) => T + n * 1_000
const iso = (ms: number) => new Date(ms).toISOString()
const ASK = { to: 'dc2', down_for: '30s', allow_data_loss: false }

const side = (name: string, over: Partial<Pair['clusters']['primary']>): Pair['clusters']['primary'] => ({
  name,
  agent_reachable: true,
  error: null,
  vault_reachable: true,
  sealed: false,
  version: '1.17.3+ent',
  ha_role: 'active',
  mode: 'primary',
  state: 'running',
  replication_cluster_id: 'set-1',
  checked_at: null,
  ...over,
})

/** dc1 -> dc2 as the gateway reads it at `at`: dc1 answering at `wal`, or its site lost; dc2 has WAL 40. */
function pairAt(at: number, primary: { wal: number; fenceMs?: number; demoted?: true } | 'lost'): Pair {
  const lost = primary === 'lost'
  const demoted = !lost && primary.demoted === true
  return {
    secondary: 'dc2',
    primary: 'dc1',
    secondary_id: 'dc2',
    clusters: {
      primary: lost
        ? side('dc1', { agent_reachable: false, error: { code: 'GATEWAY_ERR_AGENT_UNREACHABLE', detail: 'refused' } })
        : demoted
          ? side('dc1', { checked_at: iso(at), mode: 'secondary', state: 'idle' })
          : side('dc1', { checked_at: iso(at), fence_on_isolation_ms: primary.fenceMs ?? null }),
      secondary: side('dc2', { mode: 'secondary', state: lost ? 'idle' : 'stream-wals', checked_at: iso(at) }),
    },
    connection_state: lost ? 'idle' : 'ready',
    primary_sees_secondary: lost ? null : 'connected',
    lag: {
      wals: lost ? null : primary.wal - 40,
      primary_last_wal: lost ? null : primary.wal,
      secondary_last_remote_wal: 40,
      age_s: 0,
    },
    // This Vault reports no heartbeat: the estimate stands only on how close the last read came to the loss.
    heartbeat_age_s: null,
    merkle_corrupted: false,
    versions: { primary: '1.17.3+ent', secondary: '1.17.3+ent' },
    dr_operation_token: null,
    dr_ceremony_token: null,
    checked_at: iso(at),
  }
}

/** The store's meta in memory, for a gateway that keeps nothing beyond its process. */
function memoryMeta() {
  const meta = new Map<string, string>()
  return {
    getMeta: async (key: string) => meta.get(key),
    setMeta: async (key: string, value: string) => void meta.set(key, value),
    replaceMetaIf: async (key: string, expected: string | undefined, value: string | null) => {
      if (meta.get(key) !== expected) return false
      if (value === null) meta.delete(key)
      else meta.set(key, value)
      return true
    },
  }
}

/** A gateway's planner over a pair whose views the test sets, and its clock; `meta` keeps what agents said. */
/** dc3, another DR secondary of dc1: streaming from it (its site not cut off from dc3), lost with it, or silent. */
type Dc3 = 'streams' | 'lost' | 'silent'

function gateway(history: VantageHistory, meta: SelfFenceStore = memoryMeta(), followers: { dc3?: Dc3 } = {}) {
  const selfFences = new SelfFenceSettings(meta)
  const clock = { now: s(0) }
  let pair = pairAt(s(0), { wal: 40 })
  const dc3 = followers.dc3 === undefined ? [] : [{ name: 'dc3' }]
  const pairs = {
    members: async () => ({ secondary: { name: 'dc2' }, followers: dc3.map((c) => c.name), followerClusters: dc3 }),
    readiness: async () => ({ secondary: 'dc2', primary: 'dc1', ready: true, checks: [], pair }),
    secondaryStatus: async (c: { name: string }) =>
      c.name !== 'dc3' || followers.dc3 === 'silent'
        ? undefined
        : {
            vault: { reachable: true, sealed: false, version: '1.21.0+ent' },
            replication:
              followers.dc3 === 'streams'
                ? { mode: 'secondary', connection_state: 'ready', primaries: [{ heartbeat_age_s: 1 }] }
                : // Lost its stream when dc1's site was lost (its last heartbeat 250 s before 300 s).
                  { mode: 'secondary', connection_state: 'idle', primaries: [{ heartbeat_age_s: 250 }] },
          },
  } as unknown as PairsService
  const clusters = {
    targetOf: () => ({ cluster: 'dc2', url: 'http://127.0.0.1:1', token: 't' }),
  } as unknown as ClustersService
  const agents = { secondary: () => ({}) } as unknown as AgentClients
  const now = () => clock.now
  const planner = createFailoverPlanner({
    pairs,
    clusters,
    agents,
    history,
    selfFences,
    now,
    maxLagWals: 100,
    maxReadGapMs: 65_000,
    fences: meta,
  })
  const observe = observePairFor(history, selfFences, now)
  return {
    clock,
    planner,
    history,
    /** The gateway reads the pair (its upkeep, or any pairs call) at `at`. */
    read(at: number, primary: { wal: number; fenceMs?: number; demoted?: true } | 'lost') {
      clock.now = at
      pair = pairAt(at, primary)
      observe(pair)
    },
  }
}

/** The failover's preflight as a resumed run would make it: the request's plan too old to stand for the guard. */
async function preflight(gw: ReturnType<typeof gateway>, now: number) {
  gw.clock.now = now
  const deps = { now: () => now, planner: gw.planner } as unknown as FailoverDeps
  const r = {
    data: () => ({}),
    saveData: async () => {},
    roles: { saveLeg: async () => {} },
    run: { record: () => ({ created_at: iso(now - 60_000) }), signal: () => new AbortController().signal },
  } as unknown as RoleChangeRun
  return failoverPreflight(deps, r, { from: 'dc1', ...ASK })
}

describe('a failover resumed in its preflight by a restarted gateway (SQLite store)', () => {
  const fx = useGatewayFixture('sqlite')

  /** The gateway that watched: dc1 read at 0 and 20 s, lost at 50 s; at 131 s it would fail over, nothing lost. */
  async function watchedTheLoss(store: Store) {
    const first = gateway(new VantageHistory({ store }))
    first.read(s(0), { wal: 38 })
    first.read(s(20), { wal: 40 })
    first.read(s(50), 'lost')
    first.read(s(90), 'lost')
    first.clock.now = s(131)
    const plan = await first.planner(ASK, new AbortController().signal)
    expect(plan).toMatchObject({ allowed: true, data_loss: { wals: 0, primary_last_wal: 40, comparison_age_s: 111 } })
    await first.history.flush()
    return plan
  }

  it('finds the loss its first life saw (none, with the same age), and goes on', async () => {
    const store = fx.openStore()
    try {
      const before = await watchedTheLoss(store)
      // Restarted at 100 s: a new process on the same store; its upkeep reads the pair, still lost.
      const restarted = gateway(new VantageHistory({ store }))
      restarted.read(s(100), 'lost')
      restarted.clock.now = s(131)
      const same = await restarted.planner(ASK, new AbortController().signal)
      expect(same.data_loss).toEqual(before.data_loss)
      const result = await preflight(restarted, s(131))
      expect(result).toMatchObject({ status: 'succeeded', detail: expect.stringContaining('estimated loss 0 WAL(s)') })
    } finally {
      await store.close()
    }
  })

  it('without the store it could not know: refused DATA_LOSS_UNKNOWN', async () => {
    const store = fx.openStore()
    try {
      await watchedTheLoss(store)
      const restarted = gateway(new VantageHistory())
      restarted.read(s(100), 'lost')
      await expect(preflight(restarted, s(131))).rejects.toMatchObject({
        error: { code: 'GATEWAY_ERR_FAILOVER_REFUSED', detail: expect.stringContaining('DATA_LOSS_UNKNOWN') },
      })
    } finally {
      await store.close()
    }
  })
})

describe('a failover of a primary whose agent fences it on isolation (the setting as the gateways saw it)', () => {
  const fx = useGatewayFixture('sqlite')
  const ask = () => new AbortController().signal

  it('waits until the agent has demoted it by its reckoning, past down_for: a restarted gateway knows the setting from the store', async () => {
    const store = fx.openStore()
    try {
      // dc1's agent runs with VAULT_DR_FENCE_ON_ISOLATION 60 s: demoted 81 s after it is cut off (restart grace included).
      const first = gateway(new VantageHistory({ store }), store)
      first.read(s(0), { wal: 40, fenceMs: 60_000 })
      first.read(s(20), { wal: 40, fenceMs: 60_000 })
      first.read(s(50), 'lost')
      first.clock.now = s(110)
      const early = await first.planner(ASK, ask())
      expect(early).toMatchObject({
        allowed: false,
        refusal: { code: 'PRIMARY_NOT_DOWN', fix: expect.stringContaining('Wait 21 s') },
        old_primary_fence: { by: 'self', fence_on_isolation_ms: 60_000, within_ms: 81_000, seen_at: iso(s(0)) },
      })
      first.clock.now = s(132)
      const late = await first.planner(ASK, ask())
      expect(late.allowed).toBe(true)
      expect(late.items.find((i) => i.name === 'old_primary_fence')).toMatchObject({ status: 'pass', code: 'OK' })

      // A gateway restarted at 100 s counts the loss from its own first look, with the setting from the store.
      const restarted = gateway(new VantageHistory({ store }), store)
      restarted.read(s(100), 'lost')
      restarted.clock.now = s(131)
      const plan = await restarted.planner(ASK, ask())
      expect(plan).toMatchObject({ allowed: false, refusal: { code: 'PRIMARY_NOT_DOWN' } })
      expect(plan.old_primary_fence).toMatchObject({ by: 'self', within_ms: 81_000 })
      restarted.clock.now = s(182)
      expect((await restarted.planner(ASK, ask())).allowed).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('holds while another DR secondary of the old primary still streams from it: its agent does not fence it then', async () => {
    for (const dc3 of ['streams', 'lost', 'silent'] as const) {
      const gw = gateway(new VantageHistory(), memoryMeta(), { dc3 })
      gw.read(s(0), { wal: 40, fenceMs: 60_000 })
      gw.read(s(20), { wal: 40, fenceMs: 60_000 })
      gw.read(s(50), 'lost')
      gw.clock.now = s(300)
      const plan = await gw.planner(ASK, ask())
      const item = plan.items.find((i) => i.name === 'old_primary_fence')
      if (dc3 === 'streams') {
        expect(plan).toMatchObject({ allowed: false, refusal: { code: 'PRIMARY_NOT_DOWN' } })
        expect(plan.refusal?.detail).toContain('dc3 still streams from it')
      } else if (dc3 === 'lost') {
        expect(plan.allowed).toBe(true)
        expect(item).toMatchObject({ status: 'pass' })
      } else {
        // Its agent gave no status: a warning (an automatic failover holds on it), not a refusal.
        expect(plan.allowed).toBe(true)
        expect(plan.old_primary_fence.followers_unknown).toEqual(['dc3'])
        expect(item).toMatchObject({ status: 'warn', code: 'SELF_FENCE_FOLLOWERS_UNKNOWN' })
      }
    }
  })

  it('warns, and does not wait, when the agent was seen without self-fencing or never seen', async () => {
    const off = gateway(new VantageHistory())
    off.read(s(0), { wal: 40 })
    off.read(s(20), { wal: 40 })
    off.read(s(50), 'lost')
    off.clock.now = s(90)
    const plan = await off.planner(ASK, ask())
    expect(plan.allowed).toBe(true)
    expect(plan.old_primary_fence).toMatchObject({ by: 'none', fence_on_isolation_ms: null, seen_at: iso(s(0)) })
    expect(plan.items.find((i) => i.name === 'old_primary_fence')).toMatchObject({
      status: 'warn',
      code: 'NO_SELF_FENCE',
      fix: expect.stringContaining('GET /serving'),
    })

    const unseen = gateway(new VantageHistory())
    unseen.read(s(50), 'lost')
    unseen.clock.now = s(90)
    const blind = await unseen.planner({ ...ASK, allow_data_loss: true }, ask())
    expect(blind.old_primary_fence.by).toBe('unknown')
    expect(blind.items.find((i) => i.name === 'old_primary_fence')).toMatchObject({
      status: 'warn',
      code: 'SELF_FENCE_UNKNOWN',
    })
  })

  it('goes by the gateway fence while the primary agent answers', async () => {
    const gw = gateway(new VantageHistory())
    gw.read(s(0), { wal: 40, fenceMs: 60_000 })
    const plan = await gw.planner(ASK, ask())
    expect(plan.old_primary_fence).toEqual({
      by: 'gateway',
      fence_on_isolation_ms: 60_000,
      within_ms: null,
      seen_at: iso(s(0)),
      followers_unknown: [],
    })
  })
})

describe('a failover of a primary an earlier failover already failed away from (its fence still on record)', () => {
  const fence = (newPrimary: string) =>
    JSON.stringify({
      cluster: 'dc1',
      epoch: 7,
      failover_id: 'f-1',
      new_primary: newPrimary,
      fenced_at: iso(s(10)),
      demoted_at: null,
      last_wal: null,
    })
  /** dc1 lost at 50 s after reads at 0 and 20 s, as the planner sees it at 131 s, with `fenceOnRecord` in the store. */
  async function planWith(fenceOnRecord: string | undefined) {
    const meta = memoryMeta()
    if (fenceOnRecord !== undefined) await meta.setMeta(fenceKey('dc1'), fenceOnRecord)
    const gw = gateway(new VantageHistory(), meta)
    gw.read(s(0), { wal: 40 })
    gw.read(s(20), { wal: 40 })
    gw.read(s(50), 'lost')
    gw.clock.now = s(131)
    return gw.planner(ASK, new AbortController().signal)
  }
  const item = (plan: Awaited<ReturnType<typeof planWith>>) => plan.items.find((i) => i.name === 'earlier_failover')

  it('is refused when that failover promoted another secondary: a second primary beside it', async () => {
    const plan = await planWith(fence('dc3'))
    expect(plan.allowed).toBe(false)
    expect(plan.refusal).toMatchObject({ code: 'PRIMARY_FAILED_OVER', detail: expect.stringContaining('beside dc3') })
    expect(plan.refusal?.fix).toContain('re-point dc2 to it instead')
    expect(item(plan)?.status).toBe('fail')
  })

  it('counts the old primary down once that fence demoted it (the promote never landed): no cluster takes writes', async () => {
    const meta = memoryMeta()
    const fenced = (lastWal: number | null) => JSON.stringify({ ...JSON.parse(fence('dc2')), last_wal: lastWal })
    const gw = gateway(new VantageHistory(), meta)
    // dc1 back and answering as a DR secondary, as its fence left it; dc2 still a DR secondary at WAL 40.
    gw.read(s(0), { wal: 40, demoted: true })
    await meta.setMeta(fenceKey('dc1'), fenced(40))
    const none = await gw.planner(ASK, new AbortController().signal)
    expect(none).toMatchObject({ allowed: true, primary_verdict: 'down', data_loss: { wals: 0, primary_last_wal: 40 } })
    await meta.setMeta(fenceKey('dc1'), fenced(43))
    const lossy = await gw.planner(ASK, new AbortController().signal)
    expect(lossy.refusal).toMatchObject({ code: 'DATA_LOSS', detail: expect.stringContaining('3 WAL(s) lost') })
    expect((await gw.planner({ ...ASK, allow_data_loss: true }, new AbortController().signal)).allowed).toBe(true)
    // Without that fence, a primary that answers is no lost one: a failover is refused.
    await meta.setMeta(fenceKey('dc1'), '')
    expect((await gw.planner(ASK, new AbortController().signal)).allowed).toBe(false)
  })

  it('goes on to the same secondary again (its earlier promote may never have landed), and with no fence on record', async () => {
    const again = await planWith(fence('dc2'))
    expect(again.allowed).toBe(true)
    expect(item(again)).toMatchObject({ status: 'pass', detail: expect.stringContaining('fails over to dc2 again') })
    const none = await planWith(undefined)
    expect(none.allowed).toBe(true)
    expect(item(none)?.status).toBe('pass')
    // A rejoin's end of a fence is none.
    const ended = await planWith(JSON.stringify({ cluster: 'dc1', ended_failover_id: 'f-1', ended_at: iso(s(30)) }))
    expect(ended.allowed).toBe(true)
  })

  it('is refused when the fence entry cannot be read (damaged, or a newer shape): it may name another new primary', async () => {
    const plan = await planWith('{"cluster":"dc1","epoch":')
    expect(plan.allowed).toBe(false)
    expect(plan.refusal).toMatchObject({ code: 'FENCE_UNREADABLE', detail: expect.stringContaining('fence/dc1') })
    expect(item(plan)?.status).toBe('fail')
  })
})
