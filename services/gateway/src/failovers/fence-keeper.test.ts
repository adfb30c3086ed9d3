import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { FenceRecord as AgentFence, ClusterStatus } from '../agents/agent-types.ts'
import { epochRaise, type StoredCluster } from '../store/store.ts'
import { AWAY_POLL_MS, createFenceKeeper, FenceHeldNotDemoted, nextRoundMs } from './fence-keeper.ts'
import { readFence, writeFence } from './fence-record.ts'

const cluster = (name: string): StoredCluster => ({
  name,
  role: 'primary',
  agent_url: `http://127.0.0.1:1/${name}`,
  agent_token_sealed: new Uint8Array(),
  created_at: '2026-12-05T00:00:00.000Z',
  updated_at: '2026-12-05T00:00:00.000Z',
})

/** What an agent answers: its cluster in a DR mode (or its Vault gone), the epoch it has seen, the fence it holds. */
interface Seen {
  mode: string | 'vault_gone'
  epoch?: number
  fenced?: Partial<AgentFence> | null
  lastWal?: number
}

const agentFence = (over: Partial<AgentFence> = {}): AgentFence => ({
  at: '2026-12-05T00:31:00.000Z',
  reason: 'failed away from',
  epoch: 3,
  demoted_at: null,
  by: 'gateway',
  failover_id: 'f1',
  last_wal: null,
  ...over,
})

const statusOf = (seen: Seen) =>
  ({
    vault: { reachable: seen.mode !== 'vault_gone', last_wal: null },
    replication: seen.mode === 'vault_gone' ? null : { mode: seen.mode, last_wal: seen.lastWal ?? null },
    ...(seen.epoch === undefined ? {} : { epoch: seen.epoch }),
    ...(seen.fenced === undefined ? {} : { fenced: seen.fenced === null ? null : agentFence(seen.fenced) }),
  }) as unknown as ClusterStatus

const metaUnder = (meta: Map<string, string>) => async (prefix: string) =>
  new Map([...meta].filter(([k]) => k.startsWith(prefix)))

/** Compare-and-set on the meta map, as the stores do it. */
const replaceMetaIf = (meta: Map<string, string>) => async (k: string, expected: string, v: string | null) => {
  if (meta.get(k) !== expected) return false
  if (v === null) meta.delete(k)
  else meta.set(k, v)
  return true
}

function setup(agents: Record<string, Seen | Error>, epoch = 7) {
  const meta = new Map<string, string>()
  const demoted: Array<[string, number]> = []
  const store = {
    epoch,
    /** Runs once, right after the next read of a fence: another gateway writing between a read and a write. */
    afterRead: undefined as (() => void) | undefined,
    /** Runs while the agent demotes: another gateway acting meanwhile. */
    duringDemote: undefined as (() => Promise<void>) | undefined,
    /** Runs while a status read is in flight (its answer is late): other gateways acting meanwhile. */
    duringStatus: undefined as (() => Promise<void>) | undefined,
    getMeta: async (k: string) => {
      const value = meta.get(k)
      const after = store.afterRead
      store.afterRead = undefined
      after?.()
      return value
    },
    setMeta: async (k: string, v: string) => void meta.set(k, v),
    replaceMetaIf: replaceMetaIf(meta),
    metaUnder: metaUnder(meta),
    listClusters: async () => Object.keys(agents).map(cluster),
    currentEpoch: async () => store.epoch,
    bumpEpoch: async () => ++store.epoch,
    // As the stores do for a caller holding the current epoch (the keeper takes it just before).
    raiseEpoch: async (from: number, above: number) => {
      const raise = epochRaise(store, from, above)
      if (raise?.raised) store.epoch = raise.epoch
      return raise
    },
  }
  const keeper = createFenceKeeper({
    store,
    statusOf: async (c) => {
      await store.duringStatus?.()
      const seen = agents[c.name]
      if (seen instanceof Error) throw seen
      return statusOf(seen ?? { mode: 'disabled' })
    },
    demote: async (c, _fence, e) => {
      demoted.push([c.name, e])
      await store.duringDemote?.()
      const seen = agents[c.name]
      if (seen instanceof Error || seen === undefined) throw new Error('no answer')
      // The agent records the fence either way; it demotes only a cluster whose Vault answers.
      seen.fenced = seen.fenced ?? { epoch: e }
      if (seen.mode === 'vault_gone')
        throw new FenceHeldNotDemoted('The cluster status cannot be read: the demote is retried')
      seen.mode = 'secondary'
      return undefined
    },
    now: () => Date.parse('2026-12-05T01:00:00Z'),
    log: pino({ level: 'silent' }),
    intervalMs: 50,
    unreadFenceWaitMs: 200,
  })
  const fence = (name: string, at = 3) =>
    writeFence(store, {
      cluster: name,
      epoch: at,
      failover_id: 'f1',
      new_primary: 'dc2',
      fenced_at: '2026-12-05T00:30:00.000Z',
      demoted_at: null,
      last_wal: null,
    })
  return { store, keeper, demoted, fence }
}

describe('the fence keeper', () => {
  it("acts on a fence written before its failover's promote only once the new primary answers as one", async () => {
    // dc1 back as a DR primary; dc2 still a DR secondary: the promote has not landed (or was never sent).
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'primary', lastWal: 40 }, dc2: { mode: 'secondary' } }
    const { store, keeper, demoted } = setup(agents)
    const pending = {
      cluster: 'dc1',
      epoch: 3,
      failover_id: 'f1',
      new_primary: 'dc2',
      fenced_at: '2026-12-05T00:30:00.000Z',
      demoted_at: null,
      last_wal: null,
      pending_promote: true,
    }
    await writeFence(store, pending)
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'pending_promote' }])
    expect(nextRoundMs([{ cluster: 'dc1', outcome: 'pending_promote' }], 5_000)).toBe(AWAY_POLL_MS)
    expect(demoted).toEqual([])
    expect(await readFence(store, 'dc1')).toMatchObject({ pending_promote: true })
    // The promote landed, its gateway killed before it armed the fence: the keeper arms it and demotes dc1.
    agents.dc2 = { mode: 'primary' }
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(demoted).toEqual([['dc1', 7]])
    const armed = await readFence(store, 'dc1')
    expect(armed?.pending_promote).toBeUndefined()
    expect(armed?.demoted_at).not.toBeNull()
  })

  it('offers the fence to an agent that is away, demotes the cluster with the current epoch once it answers, then forgets it', async () => {
    const agents: Record<string, Seen | Error> = { dc1: new Error('unreachable'), dc2: { mode: 'primary' } }
    const { store, keeper, demoted, fence } = setup(agents)
    await fence('dc1')
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'away' }])
    // Sent, and not answered.
    expect(demoted).toEqual([['dc1', 7]])
    agents.dc1 = { mode: 'primary', lastWal: 40 }
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(demoted).toEqual([
      ['dc1', 7],
      ['dc1', 7],
    ])
    expect(await readFence(store, 'dc1')).toMatchObject({ demoted_at: '2026-12-05T01:00:00.000Z', last_wal: 40 })
    expect(await keeper.round()).toEqual([])
  })

  it('sends the fence to an agent whose Vault does not answer, and records the demote and last WAL its agent made', async () => {
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'vault_gone', fenced: null } }
    const { store, keeper, demoted, fence } = setup(agents)
    await fence('dc1')
    expect(await keeper.round()).toEqual([
      { cluster: 'dc1', outcome: 'sent', detail: expect.stringContaining('retried') },
    ])
    expect(demoted).toEqual([['dc1', 7]])
    // Its agent holds the fence now: nothing more to send while its Vault is away.
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'held' }])
    expect(demoted).toHaveLength(1)
    // The site is back: the agent demoted dc1 the moment its Vault answered, and recorded its last WAL.
    agents.dc1 = { mode: 'secondary', fenced: { epoch: 7, demoted_at: '2026-12-05T00:59:00.000Z', last_wal: 57 } }
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'not_primary' }])
    expect(await readFence(store, 'dc1')).toMatchObject({ demoted_at: '2026-12-05T01:00:00.000Z', last_wal: 57 })
  })

  it('sends the fence without waiting for a status that hangs (a Vault paused): the agent holds it before its Vault answers', async () => {
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'vault_gone', fenced: null } }
    const { store, keeper, demoted, fence } = setup(agents)
    // Every status read of dc1 waits for its Vault, which does not answer.
    let statusReads = 0
    store.duringStatus = () => {
      statusReads++
      return new Promise<void>(() => {})
    }
    await fence('dc1')
    const started = performance.now()
    expect(await keeper.round()).toEqual([
      { cluster: 'dc1', outcome: 'sent', detail: expect.stringContaining('retried') },
    ])
    expect(statusReads).toBe(1)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(demoted).toEqual([['dc1', 7]])
    expect(agents.dc1).toMatchObject({ fenced: { epoch: 7 } })
    // The agent that took it demotes the cluster when its Vault answers; the keeper records it then.
    agents.dc1 = { mode: 'primary', lastWal: 12 }
    store.duringStatus = undefined
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(await readFence(store, 'dc1')).toMatchObject({ last_wal: 12 })
  })

  it('counts a fence sent to an agent that answers nothing in time (waiting on its Vault) as sent, not away', async () => {
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'vault_gone', fenced: null } }
    const { store, keeper, demoted, fence } = setup(agents)
    store.duringStatus = () => new Promise<void>(() => {})
    // The agent records the fence, then waits on its Vault before it answers the call.
    store.duringDemote = () => {
      ;(agents.dc1 as Seen).fenced = { epoch: 7 }
      return new Promise<void>(() => {})
    }
    await fence('dc1')
    expect(await keeper.round()).toEqual([
      { cluster: 'dc1', outcome: 'sent', detail: expect.stringContaining('took the fence and has not answered yet') },
    ])
    expect(demoted).toEqual([['dc1', 7]])
  })

  it('never writes back a fence a rejoin ended while the demote was under way', async () => {
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'primary', lastWal: 40 } }
    const { store, keeper, fence } = setup(agents)
    await fence('dc1')
    // The rejoin ends the fence (clearFence writes an empty value) before the round records the demote.
    store.duringDemote = () => store.setMeta('fence/dc1', '')
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })

  it('sends nothing for a fence a rejoin ended between the round reading it and the demote, nor writes it back', async () => {
    const agents: Record<string, Seen | Error> = { dc1: { mode: 'primary', lastWal: 40 } }
    const { store, keeper, fence, demoted } = setup(agents)
    await fence('dc1')
    // The rejoin clears it right after the keeper read it to record the last WAL before the demote.
    store.afterRead = () => void store.setMeta('fence/dc1', '')
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'ended' }])
    expect(demoted).toEqual([])
    expect(await store.getMeta('fence/dc1')).toBe('')
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })

  it('acts on no status answered after a role change: a late answer is not demoted under an epoch taken after it', async () => {
    // dc1 read as a primary, the answer late: meanwhile a role change raised the epoch to 9, which dc1's agent saw (it
    // may have been dc1's rejoin and a failback to it). The round took epoch 7 before asking, and acts on nothing it
    // read before that change; the next round reads the fence and dc1 again.
    const { store, keeper, fence, demoted } = setup({ dc1: { mode: 'primary', epoch: 9 } }, 7)
    await fence('dc1', 3)
    store.duringStatus = async () => {
      store.epoch = 9
    }
    const outcomes = await keeper.round()
    expect(outcomes).toEqual([{ cluster: 'dc1', outcome: 'moved' }])
    expect(demoted).toEqual([])
    // Read again soon, as an away agent is: the fence is still pending, and the next round demotes under 9.
    expect(nextRoundMs(outcomes, 5_000)).toBe(AWAY_POLL_MS)
    store.duringStatus = undefined
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(demoted).toEqual([['dc1', 9]])
  })

  it('does not tell an away agent of a fence ended since the round read it', async () => {
    const { store, keeper, fence, demoted } = setup({ dc1: { mode: 'vault_gone', fenced: null } })
    await fence('dc1')
    store.duringStatus = () => store.setMeta('fence/dc1', '')
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'ended' }])
    expect(demoted).toEqual([])
  })

  it("one cluster's error does not drop the others' outcomes", async () => {
    const agents: Record<string, Seen | Error> = { dc1: new Error('unreachable'), dc3: { mode: 'primary' } }
    const { store, keeper, fence } = setup(agents)
    await fence('dc1')
    await fence('dc3')
    const cas = store.replaceMetaIf
    store.replaceMetaIf = async (k, expected, v) => {
      if (k === 'fence/dc3') throw new Error('store write failed')
      return cas(k, expected, v)
    }
    const outcomes = await keeper.round()
    expect(outcomes).toEqual([
      { cluster: 'dc1', outcome: 'away' },
      { cluster: 'dc3', outcome: 'failed', detail: 'store write failed' },
    ])
    expect(nextRoundMs(outcomes, 5_000)).toBe(AWAY_POLL_MS)
  })

  it('says, at error, that a fence of a cluster not registered is not enforced (no agent known to send it to)', async () => {
    const { keeper, fence, demoted } = setup({ dc3: { mode: 'primary' } })
    await fence('dc1')
    const outcomes = await keeper.round()
    expect(outcomes).toEqual([{ cluster: 'dc1', outcome: 'unregistered' }])
    expect(demoted).toEqual([])
    expect(nextRoundMs(outcomes, 5_000)).toBe(5_000)
  })

  it('reports a fence entry it cannot read, never reads it as no fence, and leaves a cleared or ended one alone', async () => {
    const { store, keeper, demoted } = setup({ dc1: { mode: 'primary' }, dc3: { mode: 'primary' } })
    await store.setMeta('fence/dc1', '{"cluster":"dc1","epoch":"three"}')
    await store.setMeta('fence/dc3', '')
    await store.setMeta(
      'fence/dc4',
      JSON.stringify({ cluster: 'dc4', ended_failover_id: 'f0', ended_at: '2026-12-05T00:00:00.000Z' }),
    )
    const outcomes = await keeper.round()
    expect(outcomes).toEqual([{ cluster: 'dc1', outcome: 'unreadable' }])
    expect(demoted).toEqual([])
    expect(nextRoundMs(outcomes, 5_000)).toBe(5_000)
  })

  it('records a returning cluster that is a secondary already without demoting it, and reports one with DR disabled', async () => {
    const { keeper, demoted, fence } = setup({ dc1: { mode: 'secondary' }, dc3: { mode: 'disabled' } })
    await fence('dc1')
    await fence('dc3')
    const outcomes = await keeper.round()
    expect(outcomes[0]).toEqual({ cluster: 'dc1', outcome: 'not_primary' })
    expect(outcomes[1]).toMatchObject({ cluster: 'dc3', outcome: 'not_dr' })
    expect(demoted).toEqual([])
  })

  it("raises the store's epoch above an agent's that is higher (a restored store) before it demotes", async () => {
    const { store, keeper, demoted, fence } = setup({ dc1: { mode: 'primary', epoch: 12 } }, 2)
    await fence('dc1', 2)
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(demoted).toEqual([['dc1', 13]])
    expect(store.epoch).toBe(13)
  })

  it('runs its first round at once, then asks an away agent every AWAY_POLL_MS however long the interval', async () => {
    const asked: Record<string, number> = { dc1: 0, dc3: 0 }
    const meta = new Map<string, string>()
    const store = {
      getMeta: async (k: string) => meta.get(k),
      setMeta: async (k: string, v: string) => void meta.set(k, v),
      replaceMetaIf: replaceMetaIf(meta),
      metaUnder: metaUnder(meta),
      listClusters: async () => ['dc1', 'dc3'].map(cluster),
      currentEpoch: async () => 1,
      bumpEpoch: async () => 2,
      raiseEpoch: async () => undefined,
    }
    const keeper = createFenceKeeper({
      store,
      statusOf: async (c) => {
        asked[c.name] = (asked[c.name] ?? 0) + 1
        throw new Error('connection refused')
      },
      demote: async () => {
        throw new Error('connection refused')
      },
      now: Date.now,
      log: pino({ level: 'silent' }),
      intervalMs: 60_000,
    })
    const fenced = { epoch: 1, failover_id: 'f1', new_primary: 'dc2', fenced_at: '2026-12-05T00:30:00.000Z' }
    await writeFence(store, { cluster: 'dc1', ...fenced, demoted_at: null, last_wal: null })
    await writeFence(store, { cluster: 'dc3', ...fenced, demoted_at: '2026-12-05T00:31:00.000Z', last_wal: null })
    keeper.start()
    try {
      await expect.poll(() => asked.dc1, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(3)
    } finally {
      await keeper.stop()
    }
    // A demoted fence is not asked about at all.
    expect(asked.dc3).toBe(0)
  })

  it('asks again every AWAY_POLL_MS while an agent is away, else at the interval', () => {
    expect(nextRoundMs([{ cluster: 'dc1', outcome: 'away' }], 5_000)).toBe(AWAY_POLL_MS)
    expect(nextRoundMs([{ cluster: 'dc1', outcome: 'away' }], 50)).toBe(50)
    expect(nextRoundMs([{ cluster: 'dc1', outcome: 'held' }], 5_000)).toBe(5_000)
    expect(nextRoundMs([], 5_000)).toBe(5_000)
  })
})
