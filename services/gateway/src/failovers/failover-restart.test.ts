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
function pairAt(at: number, primary: { wal: number } | 'lost'): Pair {
  const lost = primary === 'lost'
  return {
    secondary: 'dc2',
    primary: 'dc1',
    secondary_id: 'dc2',
    clusters: {
      primary: lost
        ? side('dc1', { agent_reachable: false, error: { code: 'GATEWAY_ERR_AGENT_UNREACHABLE', detail: 'refused' } })
        : side('dc1', { checked_at: iso(at) }),
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

/** A gateway's planner over a pair whose views the test sets, and its clock. */
function gateway(history: VantageHistory) {
  const clock = { now: s(0) }
  let pair = pairAt(s(0), { wal: 40 })
  const pairs = {
    members: async () => ({ secondary: { name: 'dc2' }, followers: [] }),
    readiness: async () => ({ secondary: 'dc2', primary: 'dc1', ready: true, checks: [], pair }),
    secondaryStatus: async () => undefined,
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
    now,
    maxLagWals: 100,
    maxReadGapMs: 65_000,
  })
  const observe = observePairFor(history, now)
  return {
    clock,
    planner,
    history,
    /** The gateway reads the pair (its upkeep, or any pairs call) at `at`. */
    read(at: number, primary: { wal: number } | 'lost') {
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
