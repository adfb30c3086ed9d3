import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../gateway-errors.ts'
import { readAutoFailover, writeAutoFailover } from '../pairs/pair-auto-failover.ts'
import { PairsErrors } from '../pairs/pairs-errors.ts'
import { type AutoFailoverDeps, createAutoFailoverWatcher } from './auto-failover.ts'
import type { FailoverPlan } from './failovers.schemas.ts'

const NOW = Date.parse('2026-12-05T03:00:00Z')
const since = new Date(NOW - 120_000).toISOString()
const lostPlan = {
  allowed: true,
  refusal: null,
  primary_verdict: 'down',
  vantage_points: [
    { point: 'gateway', reaches: false, since, detail: '' },
    { point: 'primary_agent', reaches: null, since, detail: '' },
    { point: 'secondary_agent', reaches: false, since, detail: '' },
    { point: 'secondary_vault', reaches: false, since, detail: '' },
  ],
  old_primary_fence: {
    by: 'self',
    fence_on_isolation_ms: 30_000,
    within_ms: 45_000,
    seen_at: since,
    followers_unknown: [],
  },
} as unknown as FailoverPlan

/** A store shared by several gateways, and a createFailover that keys and locks as the real journal does. */
function sharedStore(pairs: string[]) {
  const meta = new Map<string, string>()
  const journal: Array<{ id: string; key: string; created_at: string; clusters: string[] }> = []
  const store = {
    /** Runs once, right after the next read of a setting: an operator's change landing between a read and a write. */
    afterRead: undefined as (() => Promise<void>) | undefined,
    async getMeta(k: string) {
      const value = meta.get(k)
      const after = store.afterRead
      store.afterRead = undefined
      await after?.()
      return value
    },
    setMeta: async (k: string, v: string) => void meta.set(k, v),
    replaceMetaIf: async (k: string, expected: string, v: string | null) => {
      if (meta.get(k) !== expected) return false
      if (v === null) meta.delete(k)
      else meta.set(k, v)
      return true
    },
    metaUnder: async (prefix: string) => new Map([...meta].filter(([k]) => k.startsWith(prefix))),
    listOperations: async (q: { cluster?: string; limit: number }) =>
      journal
        .filter((op) => q.cluster === undefined || op.clusters.includes(q.cluster))
        .reverse()
        .slice(0, q.limit),
    pairedSecondaries: async () => pairs.map((s) => ({ secondary: s, primary: 'dc1', secondary_id: s })),
    currentEpoch: async () => 4,
  }
  const createFailover: AutoFailoverDeps['createFailover'] = async (body, key) => {
    const earlier = journal.find((op) => op.key === key)
    if (earlier !== undefined) return { created: false, operation: earlier }
    const op = {
      id: `op-${journal.length + 1}`,
      key,
      created_at: new Date(NOW).toISOString(),
      clusters: ['dc1', body.to],
    }
    journal.push(op)
    return { created: true, operation: op }
  }
  return { store, journal, createFailover }
}

function gateway(shared: ReturnType<typeof sharedStore>, over: Partial<AutoFailoverDeps> = {}) {
  const planned: string[] = []
  const watcher = createAutoFailoverWatcher({
    store: shared.store,
    planner: async (body) => {
      planned.push(body.to)
      await new Promise((r) => setTimeout(r, 5))
      return lostPlan
    },
    createFailover: shared.createFailover,
    blockMs: 3_600_000,
    intervalMs: 50,
    now: () => NOW,
    log: pino({ level: 'silent' }),
    ...over,
  })
  return { watcher, planned }
}

const enable = (shared: ReturnType<typeof sharedStore>, secondary: string) =>
  writeAutoFailover(shared.store, secondary, {
    enabled: true,
    down_for: '60s',
    last_fired_at: null,
    updated_at: new Date(NOW).toISOString(),
  })

describe('the automatic failover watcher', () => {
  it('leaves a pair with automatic failover off alone: no plan, no failover', async () => {
    const shared = sharedStore(['dc2'])
    const { watcher, planned } = gateway(shared)
    expect(await watcher.round()).toEqual([])
    expect(planned).toEqual([])
    expect(shared.journal).toEqual([])
  })

  it('two gateways deciding at once start one failover: the second gets it back by its key; then both hold', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    // Both plan before either decides: the race the idempotency key is for.
    let arrived = 0
    let release = () => {}
    const bothPlanned = new Promise<void>((r) => {
      release = r
    })
    const planner: AutoFailoverDeps['planner'] = async () => {
      if (++arrived === 2) release()
      await bothPlanned
      return lostPlan
    }
    const [a, b] = [gateway(shared, { planner }), gateway(shared, { planner })]
    const [first, second] = await Promise.all([a.watcher.round(), b.watcher.round()])
    expect([...first, ...second].map((o) => o.outcome).sort()).toEqual(['replayed', 'started'])
    expect(shared.journal).toHaveLength(1)
    expect(shared.journal[0]?.key).toBe('auto-failover:dc1:dc2:epoch-4:after-none')
    expect((await readAutoFailover(shared.store, 'dc2')).last_fired_at).toBe(new Date(NOW).toISOString())

    const later = await Promise.all([a.watcher.round(), b.watcher.round()])
    expect(later.flat()).toMatchObject([
      { outcome: 'held', decision: { code: 'blocked' } },
      { outcome: 'held', decision: { code: 'blocked' } },
    ])
    expect(shared.journal).toHaveLength(1)
  })

  it('after a failover that ended before it raised the epoch (refused in its preflight), fires again once the window passed', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    let now = NOW
    const { watcher } = gateway(shared, { now: () => now })
    expect((await watcher.round())[0]).toMatchObject({ outcome: 'started', operation_id: 'op-1' })
    // op-1 ended in its preflight: the epoch is still 4. An hour and a minute later the site is lost for real.
    now = NOW + 3_660_000
    const again = await watcher.round()
    expect(again[0]).toMatchObject({ outcome: 'started', operation_id: 'op-2' })
    expect(shared.journal.map((op) => op.key)).toEqual([
      'auto-failover:dc1:dc2:epoch-4:after-none',
      'auto-failover:dc1:dc2:epoch-4:after-op-1',
    ])
  })

  it('obeys an operator who turns it off while the plan is made: no failover, the setting left off', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    const planner: AutoFailoverDeps['planner'] = async () => {
      await writeAutoFailover(shared.store, 'dc2', {
        enabled: false,
        down_for: '60s',
        last_fired_at: null,
        updated_at: new Date(NOW + 1_000).toISOString(),
      })
      return lostPlan
    }
    const { watcher } = gateway(shared, { planner })
    expect(await watcher.round()).toMatchObject([{ outcome: 'held', decision: { code: 'refused' } }])
    expect(shared.journal).toEqual([])
    expect(await readAutoFailover(shared.store, 'dc2')).toMatchObject({ enabled: false, last_fired_at: null })
  })

  it('never turns a setting back on that an operator turned off between its last read and its write', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    const off = {
      enabled: false,
      down_for: '60s',
      last_fired_at: null,
      updated_at: new Date(NOW + 1_000).toISOString(),
    }
    const planner: AutoFailoverDeps['planner'] = async () => {
      // The operator's PUT lands right after the watcher read the setting again, before it writes last_fired_at.
      shared.store.afterRead = () => writeAutoFailover(shared.store, 'dc2', off)
      return lostPlan
    }
    const { watcher } = gateway(shared, { planner })
    expect(await watcher.round()).toMatchObject([{ outcome: 'held', decision: { code: 'refused' } }])
    expect(shared.journal).toEqual([])
    expect(await readAutoFailover(shared.store, 'dc2')).toEqual(off)
  })

  it('a gateway that finds the clusters held reports cluster_busy and does not throw', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    const warnings: string[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) })
    const busy = gateway(shared, {
      log,
      createFailover: async () => {
        throw GatewayErrors.clusterBusy('dc2 is held by failover op-1')
      },
    })
    for (let i = 0; i < 3; i++) {
      expect(await busy.watcher.round()).toMatchObject([{ outcome: 'failed', code: 'GATEWAY_ERR_CLUSTER_BUSY' }])
    }
    // One warning for the decision and one for the cause, not one a round.
    expect(warnings.filter((w) => w.includes('GATEWAY_ERR_CLUSTER_BUSY'))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes('"decision":"fire"'))).toHaveLength(1)
  })

  it('skips a pair that is no more (its roles changed) without a word', async () => {
    const shared = sharedStore(['dc2'])
    await enable(shared, 'dc2')
    const gone = gateway(shared, {
      planner: async () => {
        throw PairsErrors.pairNotFound('No pair has the secondary dc2')
      },
    })
    expect(await gone.watcher.round()).toEqual([])
  })
})
