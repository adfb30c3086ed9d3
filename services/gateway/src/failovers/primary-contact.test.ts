import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { StoredCluster } from '../store/store.ts'
import { writeFence } from './fence-record.ts'
import { createPrimaryContact } from './primary-contact.ts'
import { judgePrimary } from './primary-down.ts'
import { VantageHistory } from './vantage-history.ts'
import { contactViews } from './vantage-points.ts'

const NOW = Date.parse('2026-12-06T04:00:00Z')
const cluster = (name: string, role: 'primary' | 'secondary'): StoredCluster => ({
  name,
  role,
  agent_url: `http://127.0.0.1:1/${name}`,
  agent_token_sealed: new Uint8Array(),
  created_at: '2026-12-06T00:00:00.000Z',
  updated_at: '2026-12-06T00:00:00.000Z',
})
const status = (mode: string, sealed = false) =>
  ({ vault: { reachable: true, sealed }, replication: { mode } }) as unknown as ClusterStatus

/** A store two gateways share; `quorum` false: its linearizable reads fail, as without an etcd majority. */
function sharedStore(clusters: StoredCluster[]) {
  const meta = new Map<string, string>()
  return {
    quorum: true,
    getMeta: async (k: string) => meta.get(k),
    setMeta: async (k: string, v: string) => void meta.set(k, v),
    replaceMetaIf: async (k: string, expected: string, v: string | null) =>
      meta.get(k) === expected && (v === null ? meta.delete(k) : Boolean(meta.set(k, v))),
    metaUnder: async (prefix: string) => new Map([...meta].filter(([k]) => k.startsWith(prefix))),
    listClusters: async () => clusters,
    async ping() {
      if (!this.quorum) throw new Error('etcd: no quorum')
    },
  }
}

function gateway(
  store: ReturnType<typeof sharedStore>,
  id: string,
  agents: Record<string, ClusterStatus | Error>,
  asked: string[] = [],
  clock = { now: NOW },
) {
  return createPrimaryContact({
    store,
    statusOf: async (c) => {
      asked.push(c.name)
      const answer = agents[c.name]
      if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no agent')
      return answer
    },
    gatewayId: id,
    intervalMs: 3_000,
    timeoutMs: 1_000,
    now: () => clock.now,
    monotonic: () => clock.now,
    log: pino({ level: 'silent' }),
  })
}

describe('keeping in touch with the primaries', () => {
  it('reaches every live primary that is not fenced, records it for the other gateways, never a secondary', async () => {
    const store = sharedStore([
      cluster('dc1', 'primary'),
      cluster('dc2', 'secondary'),
      cluster('dc3', 'primary'),
      cluster('dc4', 'primary'),
      cluster('dc5', 'primary'),
    ])
    await writeFence(store, {
      cluster: 'dc5',
      epoch: 3,
      failover_id: 'f1',
      new_primary: 'dc2',
      fenced_at: '2026-12-06T03:00:00.000Z',
      demoted_at: null,
      last_wal: null,
    })
    const asked: string[] = []
    const agents = { dc1: status('primary'), dc3: status('primary', true), dc4: new Error('refused') }
    const a = gateway(store, 'gw-a', agents, asked)
    expect(await a.round()).toEqual(['dc1'])
    // Asked: the primaries (an authenticated call each, what a self-fencing agent counts); not the fenced dc5.
    expect(asked.sort()).toEqual(['dc1', 'dc3', 'dc4'])
    const b = gateway(store, 'gw-b', {})
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW, live: true, own: false }])
    // Its own record, once it has read it back.
    await a.round()
    expect(await a.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW, live: true, own: true }])
    // dc3's agent answered (it counted the contact), its Vault sealed: recorded, not live. dc4's did not answer.
    expect(await b.peerContacts('dc3')).toEqual([{ gateway: 'gw-a', at: NOW, live: false, own: false }])
    expect(await b.peerContacts('dc4')).toEqual([])
  })

  it("dates a peer's contact by when this gateway saw its record change, on its own clock, never by the writer's", async () => {
    const store = sharedStore([cluster('dc1', 'primary')])
    // gw-a's clock is an hour behind: the time it writes says nothing about how recent its contact is.
    const aClock = { now: NOW - 3_600_000 }
    const a = gateway(store, 'gw-a', { dc1: status('primary') }, [], aClock)
    const bClock = { now: NOW }
    const b = gateway(store, 'gw-b', {}, [], bClock)
    await a.round()
    await b.round()
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW, live: true, own: false }])
    // gw-a reaches it again: its record changes, which gw-b sees at its next round.
    bClock.now = NOW + 3_000
    aClock.now += 3_000
    await a.round()
    await b.round()
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW + 3_000, live: true, own: false }])
    // gw-a stops reaching it: its record stays as it was, and its contact ages on gw-b's clock.
    bClock.now = NOW + 20_000
    await b.round()
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW + 3_000, live: true, own: false }])
  })

  it('deletes a record it saw unchanged for an hour (a gateway gone, a primary no longer reached), never one that moved', async () => {
    const store = sharedStore([cluster('dc1', 'primary'), cluster('dc2', 'primary')])
    const aClock = { now: NOW }
    const bClock = { now: NOW }
    const a = gateway(store, 'gw-a', { dc1: status('primary'), dc2: status('primary') }, [], aClock)
    const b = gateway(store, 'gw-b', { dc2: status('primary') }, [], bClock)
    await a.round()
    await b.round()
    // gw-a is gone; gw-b keeps reaching dc2 for an hour and more.
    for (const at of [30, 59, 60]) {
      bClock.now = NOW + at * 60_000
      await b.round()
    }
    expect([...(await store.metaUnder('contact/')).keys()]).toEqual(['contact/dc2/gw-b'])
    expect((await b.peerContacts('dc1')).filter((p) => !p.own)).toEqual([])
    // A gateway that comes back writes its record again: a contact now.
    await store.setMeta('contact/dc1/gw-a', JSON.stringify({ gateway: 'gw-a', at: '2026-12-06T05:00:00.000Z' }))
    bClock.now += 3_000
    await b.round()
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: bClock.now, live: true, own: false }])
  })

  it('asks no agent while it does not reach the store quorum: a cut-off gateway must not keep a primary from fencing itself', async () => {
    const store = sharedStore([cluster('dc1', 'primary')])
    store.quorum = false
    const asked: string[] = []
    const contact = gateway(store, 'gw-a', { dc1: status('primary') }, asked)
    expect(await contact.round()).toEqual([])
    expect(asked).toEqual([])
    expect(await gateway(store, 'gw-b', {}).peerContacts('dc1')).toEqual([])
    store.quorum = true
    expect(await contact.round()).toEqual(['dc1'])
  })

  it('reads the records again when asked after rounds it skipped without a quorum: a peer that went on reaching the primary is not taken for silent', async () => {
    const store = sharedStore([cluster('dc1', 'primary')])
    const clock = { now: NOW }
    // gw-a, next to dc1, keeps the quorum; gw-b, on the other site, reaches no agent and loses the quorum a while.
    const a = gateway(store, 'gw-a', { dc1: status('primary') }, [], clock)
    // Without its quorum, every read of gw-b's store fails (etcd's reads are linearizable).
    const cut = async <T>(read: () => Promise<T>) =>
      bStore.quorum ? read() : Promise.reject(new Error('etcd: no quorum'))
    const bStore = {
      ...store,
      quorum: true,
      ping: () => cut(async () => undefined),
      metaUnder: (prefix: string) => cut(() => store.metaUnder(prefix)),
      listClusters: () => cut(() => store.listClusters()),
    }
    const b = gateway(bStore, 'gw-b', {}, [], clock)
    await a.round()
    await b.round()
    bStore.quorum = false
    for (let t = 3_000; t <= 30_000; t += 3_000) {
      clock.now = NOW + t
      await a.round()
      await b.round()
    }
    // The quorum is back; a plan asks before gw-b's next round.
    bStore.quorum = true
    clock.now = NOW + 31_000
    expect(await b.peerContacts('dc1')).toEqual([{ gateway: 'gw-a', at: NOW + 31_000, live: true, own: false }])
  })

  it('sends no marked read once the store was asked too long ago (the gateway paused after it): the next round asks again', async () => {
    const store = sharedStore([cluster('dc1', 'primary')])
    const clock = { now: NOW }
    const asked: string[] = []
    const paused = { ms: 0 }
    // The store's quorum answers, then the gateway is frozen for paused.ms before it goes on.
    const slow = {
      ...store,
      async ping() {
        await store.ping()
        clock.now += paused.ms
      },
    }
    const contact = gateway(slow, 'gw-a', { dc1: status('primary') }, asked, clock)
    paused.ms = 40_000
    expect(await contact.round()).toEqual([])
    expect(asked).toEqual([])
    expect(await store.metaUnder('contact/')).toEqual(new Map())
    // A slow answer is no pause: 1.5 s after asking, the reads still go out.
    paused.ms = 1_500
    expect(await contact.round()).toEqual(['dc1'])
    expect(asked).toEqual(['dc1'])
  })

  it("feeds the vantage history every round: a primary whose Vault went is judged by how long its agent has said so, not from the first plan's look", async () => {
    const store = sharedStore([cluster('dc1', 'primary')])
    const clock = { now: NOW }
    const history = new VantageHistory()
    const agents: Record<string, ClusterStatus | Error> = { dc1: status('primary') }
    const contact = createPrimaryContact({
      store,
      statusOf: async (c) => {
        const answer = agents[c.name]
        if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no agent')
        return answer
      },
      observe: (name, seen, at) => history.track(name, contactViews(seen), at),
      gatewayId: 'gw-a',
      intervalMs: 3_000,
      timeoutMs: 1_000,
      now: () => clock.now,
      monotonic: () => clock.now,
      log: pino({ level: 'silent' }),
    })
    await contact.round()
    // dc1's Vault stops answering its agent; the rounds go on for 33 s before anyone plans a failover.
    agents.dc1 = { vault: { reachable: false, sealed: null }, replication: null } as unknown as ClusterStatus
    for (let t = 3_000; t <= 36_000; t += 3_000) {
      clock.now = NOW + t
      await contact.round()
    }
    // The first plan's look sees what the rounds saw, since the first round that saw it.
    const tracked = history.track(
      'dc1',
      [{ point: 'primary_agent', reaches: false, gone: true, detail: 'the primary agent cannot reach its Vault' }],
      clock.now,
    )
    expect(tracked[0]?.since).toBe(new Date(NOW + 3_000).toISOString())
    expect(judgePrimary(tracked, clock.now, 30_000).verdict).toBe('down')
  })

  it('tells which clusters are primaries each round, fenced ones not, so the history forgets the others', async () => {
    const clusters = [
      cluster('dc1', 'primary'),
      cluster('dc2', 'secondary'),
      cluster('dc3', 'primary'),
      cluster('dc4', 'primary'),
    ]
    const store = sharedStore(clusters)
    await writeFence(store, {
      cluster: 'dc3',
      epoch: 3,
      failover_id: 'f1',
      new_primary: 'dc1',
      fenced_at: '2026-12-06T03:00:00.000Z',
      demoted_at: null,
      last_wal: null,
    })
    // dc4's fence was written right before a promote not known to have landed: not armed, dc4 still counts.
    await writeFence(store, {
      cluster: 'dc4',
      epoch: 3,
      failover_id: 'f2',
      new_primary: 'dc2',
      fenced_at: '2026-12-06T03:00:00.000Z',
      demoted_at: null,
      last_wal: null,
      pending_promote: true,
    })
    const rounds: string[][] = []
    const contact = createPrimaryContact({
      store,
      statusOf: async () => status('primary'),
      onPrimaries: (names) => rounds.push(names),
      gatewayId: 'gw-a',
      intervalMs: 3_000,
      timeoutMs: 1_000,
      now: () => NOW,
      monotonic: () => NOW,
      log: pino({ level: 'silent' }),
    })
    await contact.round()
    // After a switchover, dc2 is the primary and dc1 follows it.
    clusters.splice(0, 2, cluster('dc1', 'secondary'), cluster('dc2', 'primary'))
    await contact.round()
    expect(rounds).toEqual([
      ['dc1', 'dc4'],
      ['dc2', 'dc4'],
    ])
  })
})
