import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { tempDir } from '../../test/helpers/gateway.ts'
import { AT, record, secondary } from '../../test/helpers/store-contract.ts'
import { EtcdStore } from './etcd-store.ts'
import { SqliteStore } from './sqlite-store.ts'
import { type CreateOutcome, LeaseLost, type OperationRecord, type Store } from './store.ts'

const etcd = useEtcdCluster()

let created = 0
/** A pending switchover of dc1 and dc2, each one created a second after the last. */
function operation(over: Partial<OperationRecord> = {}): OperationRecord {
  created += 1
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, created)).toISOString()
  return {
    id: randomUUID(),
    kind: 'switchover',
    state: 'pending',
    clusters: ['dc1', 'dc2'],
    subject: { primary: 'dc1', secondary: 'dc2' },
    data: {},
    steps: [
      { name: 'demote_primary', status: 'pending', started_at: null, finished_at: null, detail: null, error: null },
    ],
    error: null,
    cancel_requested: false,
    idempotency_key: null,
    request_hash: null,
    created_at: at,
    updated_at: at,
    finished_at: null,
    ...over,
  }
}

const primary = { ...secondary, name: 'dc1', role: 'primary' as const }

async function handshakeId(outcome: Promise<CreateOutcome>): Promise<string> {
  const o = await outcome
  if (o.kind !== 'created') throw new Error(`handshake not created: ${o.kind}`)
  return o.handshake.id
}

/** The same tests against each store, on fresh data every test. */
function operationsContract(name: string, open: () => { store: Store; another: () => Store; close: () => void }) {
  describe(`${name}: the operation journal, cluster locks, epochs and roles`, () => {
    let store: Store
    let sut: ReturnType<typeof open>
    const others: Store[] = []
    const another = () => {
      const s = sut.another()
      others.push(s)
      return s
    }
    beforeEach(() => {
      sut = open()
      store = sut.store
    })
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close()
      await store.close()
      sut.close()
    })

    it('creates an operation with its first event, replays its idempotency key, refuses the key with another body', async () => {
      const op = operation({ idempotency_key: 'k1', request_hash: 'h1' })
      const made = await store.createOperation(op)
      expect(made).toEqual({ kind: 'created', operation: op })
      expect(await another().getOperation(op.id)).toEqual(op)
      expect(await store.operationByIdempotencyKey('k1')).toEqual(op)
      expect(await store.operationByIdempotencyKey('k2')).toBeUndefined()
      // Answered before the clusters are looked at, though the first one holds them.
      expect(await store.createOperation(operation({ idempotency_key: 'k1', request_hash: 'h1' }))).toEqual({
        kind: 'replayed',
        operation: op,
      })
      expect(await store.createOperation(operation({ idempotency_key: 'k1', request_hash: 'h2' }))).toEqual({
        kind: 'key_conflict',
        operation: op,
      })
      const events = await store.operationEvents(op.id, 0)
      expect(events).toMatchObject([
        { operation_id: op.id, at: op.created_at, type: 'state', data: { state: 'pending' } },
      ])
    })

    it('refuses an operation on a cluster an unfinished handshake holds, as primary or as secondary', async () => {
      const h = await handshakeId(store.createHandshake(record()))
      const holder = { kind: 'handshake', id: h, state: 'pending' }
      expect(await store.createOperation(operation({ clusters: ['dc9', 'dc2'] }))).toEqual({
        kind: 'cluster_busy',
        cluster: 'dc2',
        holder,
      })
      expect(await store.createOperation(operation({ kind: 'drill', clusters: ['dc1'] }))).toEqual({
        kind: 'cluster_busy',
        cluster: 'dc1',
        holder,
      })
      expect(await store.listOperations({ limit: 10 })).toEqual([])
      await store.updateHandshake(h, { state: 'succeeded', finished_at: AT }, AT)
      expect((await store.createOperation(operation())).kind).toBe('created')
    })

    it('refuses a handshake, a role change and a delete on a cluster an unfinished operation holds', async () => {
      expect((await store.upsertCluster(primary)).kind).toBe('created')
      expect((await store.upsertCluster(secondary)).kind).toBe('created')
      const op = operation({ clusters: ['dc2'] })
      await store.createOperation(op)
      const holder = { kind: 'switchover', id: op.id, state: 'pending' }
      expect(await another().operationHolding('dc2')).toEqual(holder)
      expect(await store.operationHolding('dc1')).toBeUndefined()
      expect(await store.createHandshake(record())).toEqual({ kind: 'cluster_busy', cluster: 'dc2', holder })
      expect(await store.createHandshake(record({ primary: 'dc2', secondary: 'dc3', secondary_id: 'dc3' }))).toEqual({
        kind: 'cluster_busy',
        cluster: 'dc2',
        holder,
      })
      expect(await store.upsertCluster({ ...secondary, role: 'primary' })).toEqual({
        kind: 'in_use',
        handshake: op.id,
        holder,
      })
      expect(await store.deleteCluster('dc2')).toBe('in_use')
      // Its agent may change while held, and the holder itself records the role Vault reports.
      expect((await store.upsertCluster({ ...secondary, agent_url: 'http://b:2' })).kind).toBe('replaced')
      await store.setClusterRole('dc2', 'primary', '2026-01-02T00:00:00.000Z')
      expect(await another().getCluster('dc2')).toMatchObject({
        role: 'primary',
        agent_url: 'http://b:2',
        updated_at: '2026-01-02T00:00:00.000Z',
      })
      // Unheld clusters are free: the other one takes a handshake.
      expect((await store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' }))).kind).toBe('created')

      await store.updateOperation(op.id, { state: 'running' }, AT)
      expect(await store.operationHolding('dc2')).toEqual({ ...holder, state: 'running' })
      await store.updateOperation(op.id, { state: 'failed', finished_at: AT }, AT)
      expect(await another().operationHolding('dc2')).toBeUndefined()
      expect((await store.createHandshake(record({ primary: 'dc1', secondary: 'dc2' }))).kind).toBe('created')
      expect(await store.deleteCluster('dc4')).toBe('not_found')
    })

    it('writes with unlessCancelled only while no cancellation is on record: after one, nothing at all', async () => {
      const op = operation()
      expect((await store.createOperation(op)).kind).toBe('created')
      expect(
        await store.updateOperation(op.id, { state: 'running' }, AT, undefined, undefined, { unlessCancelled: true }),
      ).toEqual({
        cancel_requested: false,
      })
      await another().requestCancelOperation(op.id, AT)
      const later = '2026-12-04T11:00:00.000Z'
      const steps = op.steps.map((s, i) => (i === 0 ? { ...s, status: 'running' as const, started_at: later } : s))
      const event = { type: 'step' as const, data: { step: 'x' } }
      expect(await store.updateOperation(op.id, { steps }, later, event, undefined, { unlessCancelled: true })).toEqual(
        {
          cancel_requested: true,
          skipped: true,
        },
      )
      // A writer that does not hold the lease learns that first, as without unlessCancelled.
      await expect(
        store.updateOperation(op.id, { steps }, later, undefined, 'gw-x/1', { unlessCancelled: true }),
      ).rejects.toBeInstanceOf(LeaseLost)
      const kept = await another().getOperation(op.id)
      expect(kept?.steps[0]?.started_at).toBeNull()
      expect(kept?.updated_at).not.toBe(later)
      expect((await store.operationEvents(op.id, 0)).filter((e) => e.at === later)).toEqual([])
    })

    it('lets no two racing operations hold the same cluster', async () => {
      const racing = await Promise.all([
        store.createOperation(operation({ clusters: ['dc1', 'dc2'] })),
        another().createOperation(operation({ clusters: ['dc2', 'dc3'] })),
        another().createOperation(operation({ kind: 'drill', clusters: ['dc3'] })),
      ])
      const kinds = racing.map((o) => o.kind)
      expect(kinds.filter((k) => k === 'created').length).toBeGreaterThanOrEqual(1)
      const winners = racing.flatMap((o) => (o.kind === 'created' ? [o.operation] : []))
      // No two created operations share a cluster.
      const held = winners.flatMap((o) => o.clusters)
      expect(new Set(held).size).toBe(held.length)
      for (const o of racing) {
        if (o.kind === 'cluster_busy') expect(winners.map((w) => w.id)).toContain(o.holder.id)
      }
    })

    it('lists newest first, by kind, state and cluster, up to the limit', async () => {
      const a = operation({ clusters: ['dc1', 'dc2'] })
      const b = operation({ kind: 'drill', clusters: ['dc3'] })
      const c = operation({ kind: 'drill', clusters: ['dc4'] })
      for (const op of [a, b, c]) expect((await store.createOperation(op)).kind).toBe('created')
      await store.updateOperation(a.id, { state: 'succeeded', finished_at: AT }, AT)
      const ids = (ops: OperationRecord[]) => ops.map((o) => o.id)
      expect(ids(await store.listOperations({ limit: 10 }))).toEqual([c.id, b.id, a.id])
      expect(ids(await store.listOperations({ limit: 2 }))).toEqual([c.id, b.id])
      expect(ids(await store.listOperations({ kind: 'drill', limit: 10 }))).toEqual([c.id, b.id])
      expect(ids(await store.listOperations({ state: 'succeeded', limit: 10 }))).toEqual([a.id])
      expect(ids(await store.listOperations({ cluster: 'dc2', limit: 10 }))).toEqual([a.id])
      expect(ids(await store.listOperations({ kind: 'drill', state: 'pending', cluster: 'dc4', limit: 10 }))).toEqual([
        c.id,
      ])
      expect(await store.listOperations({ kind: 'failover', limit: 10 })).toEqual([])
    })

    it('lists and counts operations created at the same moment in creation order, whatever their ids', async () => {
      const [t1, t2] = ['2026-02-01T00:00:01.000Z', '2026-02-01T00:00:02.000Z']
      // Ids descending while creation ascends: key order (by id) is the reverse of creation order among ties.
      const at = (id: string, created_at: string, over: Partial<OperationRecord>) =>
        operation({ id, created_at, updated_at: created_at, ...over })
      const o1 = at('op-9', t1, { kind: 'failover', state: 'succeeded', clusters: ['dc1'] })
      const o2 = at('op-8', t2, { state: 'failed', clusters: ['dc1', 'dc2'] })
      const o3 = at('op-7', t2, { kind: 'failover', state: 'succeeded', clusters: ['dc2'] })
      const o4 = at('op-6', t2, { kind: 'failover', clusters: ['dc1'] })
      const o5 = at('op-5', t2, { kind: 'drill', clusters: ['dc3'] })
      const o6 = at('op-4', t1, { kind: 'rejoin', clusters: ['dc4'] })
      const o7 = at('op-3', t2, { kind: 'failover', state: 'succeeded', clusters: ['dc1', 'dc1'] })
      // Read once first: what follows is found through what the writes keep, not through a first reading of them all.
      expect(await store.listOperations({ limit: 10 })).toEqual([])
      for (const op of [o1, o2, o3, o4, o5, o6]) expect((await store.createOperation(op)).kind).toBe('created')
      await store.updateOperation(o4.id, { state: 'cancelled', finished_at: AT }, AT)
      await store.updateOperation(o6.id, { state: 'running' }, AT)
      expect((await store.createOperation(o7)).kind).toBe('created')

      const list = async (query: Omit<Parameters<Store['listOperations']>[0], 'limit'>, limit: number) =>
        (await another().listOperations({ ...query, limit })).map((o) => o.id)
      expect(await list({}, 10)).toEqual([o7.id, o5.id, o4.id, o3.id, o2.id, o6.id, o1.id])
      expect(await list({}, 1)).toEqual([o7.id])
      expect(await list({}, 3)).toEqual([o7.id, o5.id, o4.id])
      expect(await list({}, 6)).toEqual([o7.id, o5.id, o4.id, o3.id, o2.id, o6.id])
      expect(await list({ kind: 'failover', cluster: 'dc1' }, 1)).toEqual([o7.id])
      expect(await list({ kind: 'failover', cluster: 'dc1' }, 10)).toEqual([o7.id, o4.id, o1.id])
      expect(await list({ cluster: 'dc1' }, 2)).toEqual([o7.id, o4.id])
      expect(await list({ cluster: 'dc1' }, 10)).toEqual([o7.id, o4.id, o2.id, o1.id])
      expect(await list({ cluster: 'dc1', state: 'succeeded' }, 1)).toEqual([o7.id])
      expect(await list({ cluster: 'dc1', state: 'succeeded' }, 10)).toEqual([o7.id, o1.id])
      expect(await list({ cluster: 'dc2' }, 10)).toEqual([o3.id, o2.id])
      expect(await list({ kind: 'failover', cluster: 'dc2', state: 'failed' }, 10)).toEqual([])
      expect(await list({ kind: 'failover' }, 2)).toEqual([o7.id, o4.id])
      expect(await list({ kind: 'failover', state: 'succeeded' }, 2)).toEqual([o7.id, o3.id])
      expect(await list({ state: 'succeeded' }, 1)).toEqual([o7.id])
      expect(await list({ state: 'running' }, 10)).toEqual([o6.id])
      expect(await list({ state: 'pending' }, 10)).toEqual([o5.id])
      expect(await list({ kind: 'rejoin', state: 'pending' }, 10)).toEqual([])
      expect(await list({ cluster: 'dc9' }, 10)).toEqual([])
      expect(await list({}, 0)).toEqual([])

      const zero = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
      expect(await another().countOperations()).toEqual({
        switchover: { ...zero, failed: 1 },
        drill: { ...zero, pending: 1 },
        failover: { ...zero, succeeded: 3, cancelled: 1 },
        rejoin: { ...zero, running: 1 },
      })
    })

    it('fences writes with the lease: another owner, or a finished operation, gets LeaseLost', async () => {
      const op = operation()
      await store.createOperation(op)
      expect(await store.claimOperation(op.id, 'gw-a/1', 1000, 5000)).toBe(true)
      const other = another()
      expect(await other.claimOperation(op.id, 'gw-b/1', 2000, 6000)).toBe(false)
      await expect(other.updateOperation(op.id, { state: 'running' }, AT, undefined, 'gw-b/1')).rejects.toBeInstanceOf(
        LeaseLost,
      )
      const steps = [{ ...op.steps[0], status: 'running' as const, started_at: AT }] as OperationRecord['steps']
      const event = { type: 'step' as const, data: { name: 'demote_primary', status: 'running' } }
      expect(
        await store.updateOperation(op.id, { state: 'running', steps, data: { seen: 1 } }, AT, event, 'gw-a/1'),
      ).toEqual({ cancel_requested: false })
      expect(await other.getOperation(op.id)).toMatchObject({ state: 'running', steps, data: { seen: 1 } })
      await store.updateOperation(op.id, { state: 'succeeded', finished_at: AT }, AT, undefined, 'gw-a/1')
      await expect(
        store.updateOperation(op.id, { data: { late: true } }, AT, undefined, 'gw-a/1'),
      ).rejects.toBeInstanceOf(LeaseLost)
      await expect(store.updateOperation('no-such-operation', { state: 'running' }, AT)).rejects.toThrow(
        /no-such-operation/,
      )
      // The write that failed left no event behind.
      expect((await store.operationEvents(op.id, 0)).map((e) => e.type)).toEqual(['state', 'step'])
    })

    it('claims, releases, lists resumable operations, and takes over an earlier process of its own gateway', async () => {
      const [a, b, done] = [operation(), operation({ clusters: ['dc3'] }), operation({ clusters: ['dc4'] })]
      for (const op of [a, b, done]) await store.createOperation(op)
      await store.updateOperation(done.id, { state: 'cancelled', finished_at: AT }, AT)
      expect(await store.claimOperation(done.id, 'gw-a/1', 1000, 5000)).toBe(false)
      expect((await store.resumableOperations('gw-a/1', 1000)).map((o) => o.id)).toEqual([a.id, b.id])
      expect(await store.claimOperation(a.id, 'gw-a/1', 1000, 5000)).toBe(true)
      expect(await store.claimOperation(a.id, 'gw-a/1', 2000, 6000)).toBe(true)
      expect((await store.resumableOperations('gw-b/1', 2000)).map((o) => o.id)).toEqual([b.id])
      // Its restart (gw-a/2) takes it over at once with its name; anyone once the lease ran out.
      expect(await store.claimOperation(a.id, 'gw-b/1', 3000, 7000)).toBe(false)
      expect((await store.resumableOperations('gw-a/2', 3000, 'gw-a')).map((o) => o.id)).toEqual([a.id, b.id])
      expect(await store.claimOperation(a.id, 'gw-a/2', 3000, 7000, 'gw-a')).toBe(true)
      expect(await store.claimOperation(a.id, 'gw-b/1', 7001, 9000)).toBe(true)
      await store.releaseOperation(a.id, 'gw-a/2')
      expect(await store.claimOperation(a.id, 'gw-c/1', 7002, 9000)).toBe(false)
      await store.releaseOperation(a.id, 'gw-b/1')
      expect(await store.claimOperation(a.id, 'gw-c/1', 7002, 9000)).toBe(true)
      expect(await store.claimOperation('no-such-operation', 'gw-c/1', 7002, 9000)).toBe(false)
    })

    it('writes a meta entry under an operation lease only while its owner holds it, compare-and-set', async () => {
      const op = operation()
      await store.createOperation(op)
      expect(await store.claimOperation(op.id, 'gw-a/1', 1000, 2000)).toBe(true)
      const lease = { operation: op.id, owner: 'gw-a/1' }
      expect(await store.replaceMetaIf('fence/dc1', undefined, 'fenced', lease)).toBe(true)
      expect(await store.replaceMetaIf('fence/dc1', undefined, 'again', lease)).toBe(false)
      // The operation renewed meanwhile (another version of it): still held, so still written.
      expect(await store.renewOperation(op.id, 'gw-a/1', 3000)).toBe(true)
      expect(await store.replaceMetaIf('fence/dc1', 'fenced', 'demoted', lease)).toBe(true)
      // Frozen past its lease and taken over: its writes are refused, whatever the entry holds.
      expect(await another().claimOperation(op.id, 'gw-b/1', 3001, 5000)).toBe(true)
      await expect(store.replaceMetaIf('fence/dc1', 'demoted', 'stale', lease)).rejects.toBeInstanceOf(LeaseLost)
      await expect(store.replaceMetaIf('fence/dc2', undefined, 'stale', lease)).rejects.toBeInstanceOf(LeaseLost)
      expect(await another().getMeta('fence/dc1')).toBe('demoted')
      expect(await another().getMeta('fence/dc2')).toBeUndefined()
      // A role or a pairing the step records is refused too, and nothing changes.
      await store.upsertCluster(primary)
      await expect(store.setClusterRole('dc1', 'secondary', AT, lease)).rejects.toBeInstanceOf(LeaseLost)
      const pairing = { secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1' }
      await expect(store.recordPairing(pairing, AT, lease)).rejects.toBeInstanceOf(LeaseLost)
      expect((await another().getCluster('dc1'))?.role).toBe('primary')
      expect(await another().pairedSecondaries()).toEqual([])
      const held = { operation: op.id, owner: 'gw-b/1' }
      await store.setClusterRole('dc1', 'secondary', AT, held)
      await store.recordPairing(pairing, AT, held)
      expect((await another().getCluster('dc1'))?.role).toBe('secondary')
      expect(await another().pairedSecondaries()).toEqual([pairing])
      // Nor once the operation finished.
      const mine = { operation: op.id, owner: 'gw-b/1' }
      await store.updateOperation(op.id, { state: 'failed', finished_at: AT }, AT, undefined, 'gw-b/1')
      await expect(store.replaceMetaIf('fence/dc1', 'demoted', 'late', mine)).rejects.toBeInstanceOf(LeaseLost)
    })

    it('renews a lease only while its owner still holds it: never one released or taken over meanwhile', async () => {
      const op = operation()
      await store.createOperation(op)
      expect(await store.claimOperation(op.id, 'gw-a/1', 1000, 2000)).toBe(true)
      expect(await store.renewOperation(op.id, 'gw-a/1', 3000)).toBe(true)
      expect(await store.claimOperation(op.id, 'gw-b/1', 2500, 4000)).toBe(false)
      // Frozen past its lease: another took the operation over, then released it (it stopped, or a write failed).
      expect(await another().claimOperation(op.id, 'gw-b/1', 3001, 5000)).toBe(true)
      expect(await store.renewOperation(op.id, 'gw-a/1', 6000)).toBe(false)
      await another().releaseOperation(op.id, 'gw-b/1')
      expect(await store.renewOperation(op.id, 'gw-a/1', 6000)).toBe(false)
      expect(await store.renewOperation('no-such-operation', 'gw-a/1', 6000)).toBe(false)
      expect(await store.claimOperation(op.id, 'gw-a/2', 3002, 6000)).toBe(true)
      expect(await store.renewOperation(op.id, 'gw-a/2', 7000)).toBe(true)
      await store.updateOperation(op.id, { state: 'succeeded', finished_at: AT }, AT, undefined, 'gw-a/2')
      expect(await store.renewOperation(op.id, 'gw-a/2', 8000)).toBe(false)
    })

    it('flags a cancellation on an unfinished operation only, seen by the next write', async () => {
      const [op, finished] = [operation(), operation({ clusters: ['dc3'] })]
      await store.createOperation(op)
      await store.createOperation(finished)
      await store.updateOperation(finished.id, { state: 'succeeded', finished_at: AT }, AT)
      expect(await store.operationCancelRequested(op.id)).toBe(false)
      expect(await another().requestCancelOperation(op.id, AT)).toMatchObject({ id: op.id, cancel_requested: true })
      expect(await store.operationCancelRequested(op.id)).toBe(true)
      expect(await store.updateOperation(op.id, { state: 'running' }, AT)).toEqual({ cancel_requested: true })
      expect(await store.requestCancelOperation(finished.id, AT)).toMatchObject({ cancel_requested: false })
      expect(await store.requestCancelOperation('no-such-operation', AT)).toBeUndefined()
      expect(await store.operationCancelRequested('no-such-operation')).toBe(false)
    })

    it('answers the events after a sequence number, in order, of that operation only', async () => {
      const [a, b] = [operation(), operation({ clusters: ['dc3'] })]
      await store.createOperation(a)
      await store.createOperation(b)
      await store.updateOperation(a.id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } })
      await store.updateOperation(b.id, { data: { x: 1 } }, AT, { type: 'note', data: { n: 1 } })
      await store.updateOperation(a.id, {}, AT, { type: 'checks', data: { ok: true } })
      const all = await store.operationEvents(a.id, 0)
      expect(all.map((e) => e.type)).toEqual(['state', 'state', 'checks'])
      expect(all.every((e, i) => i === 0 || e.seq > (all[i - 1]?.seq ?? 0))).toBe(true)
      expect(await store.operationEvents(a.id, all[0]?.seq ?? 0)).toEqual(all.slice(1))
      expect(await store.operationEvents(a.id, all[2]?.seq ?? 0)).toEqual([])
      expect(await store.operationEvents('no-such-operation', 0)).toEqual([])
    })

    it('numbers the several events of one write in their order, each on its own, resumable between them', async () => {
      const a = operation()
      await store.createOperation(a)
      const notes = [1, 2, 3].map((n) => ({ type: 'note' as const, data: { n } }))
      await store.updateOperation(a.id, { state: 'running' }, AT, notes)
      await store.updateOperation(a.id, {}, AT, { type: 'checks', data: { ok: true } })
      const all = await store.operationEvents(a.id, 0)
      expect(all.map((e) => e.data.n ?? e.type)).toEqual(['state', 1, 2, 3, 'checks'])
      expect(new Set(all.map((e) => e.seq)).size).toBe(5)
      expect(all.every((e, i) => i === 0 || e.seq > (all[i - 1]?.seq ?? 0))).toBe(true)
      // A client that saw the first of the three resumes with the second.
      expect((await store.operationEvents(a.id, all[1]?.seq ?? 0)).map((e) => e.data.n ?? e.type)).toEqual([
        2,
        3,
        'checks',
      ])
    })

    it('counts operations by kind and state', async () => {
      const zero = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
      expect(await store.countOperations()).toEqual({ switchover: zero, drill: zero, failover: zero, rejoin: zero })
      const [a, b, c] = [operation(), operation({ kind: 'drill', clusters: ['dc3'] }), operation({ clusters: ['dc4'] })]
      for (const op of [a, b, c]) await store.createOperation(op)
      await store.updateOperation(a.id, { state: 'failed', finished_at: AT }, AT)
      expect(await store.countOperations()).toEqual({
        switchover: { ...zero, pending: 1, failed: 1 },
        drill: { ...zero, pending: 1 },
        failover: zero,
        rejoin: zero,
      })
    })

    it('bumps the fencing epoch atomically: 20 concurrent bumps from two gateways answer 1..20', async () => {
      expect(await store.currentEpoch()).toBe(0)
      const other = another()
      const bumps = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).bumpEpoch()))
      expect([...bumps].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      expect(await another().currentEpoch()).toBe(20)
    })

    it('raises the epoch for every caller that took the epoch a raise started from, until a role change', async () => {
      const other = another()
      await store.bumpEpoch()
      await store.bumpEpoch()
      // Ten callers that all took epoch 2 find an agent at 9 at once, on two gateways: one raise, the same answer.
      const raises = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).raiseEpoch(2, 9)),
      )
      expect(raises.map((r) => r?.epoch)).toEqual(Array(10).fill(10))
      expect(raises.filter((r) => r?.raised)).toHaveLength(1)
      // A caller acting under the raised epoch whose agent has seen it is not raised again; a higher agent raises
      // the run further; a caller from before the run is stale.
      expect(await other.raiseEpoch(10, 10)).toEqual({ epoch: 10, raised: false })
      expect(await other.raiseEpoch(10, 12)).toEqual({ epoch: 13, raised: true })
      expect(await store.raiseEpoch(2, 13)).toEqual({ epoch: 13, raised: false })
      expect(await store.raiseEpoch(1, 13)).toBeUndefined()
      // A role change ends the run: its epochs are stale now; the role change's own epoch may raise again.
      expect(await store.bumpEpoch()).toBe(14)
      expect(await other.raiseEpoch(13, 14)).toBeUndefined()
      expect(await store.raiseEpoch(14, 19)).toEqual({ epoch: 20, raised: true })
      expect(await another().currentEpoch()).toBe(20)
    })

    it('records a cluster role as Vault reports it, and nothing for an unknown cluster', async () => {
      await store.upsertCluster(primary)
      await store.setClusterRole('dc1', 'secondary', '2026-01-03T00:00:00.000Z')
      expect(await store.getCluster('dc1')).toEqual({
        ...primary,
        role: 'secondary',
        updated_at: '2026-01-03T00:00:00.000Z',
      })
      await store.setClusterRole('dc7', 'primary', AT)
      expect(await store.getCluster('dc7')).toBeUndefined()
    })
  })
}

operationsContract('SqliteStore', () => {
  const dir = tempDir()
  const path = join(dir.dir, 'gateway.sqlite')
  return { store: new SqliteStore(path), another: () => new SqliteStore(path), close: dir.cleanup }
})

operationsContract('EtcdStore', () => {
  const settings = {
    hosts: etcd.cluster.endpoints.map((e) => `http://${e}`),
    prefix: etcd.cluster.freshPrefix(),
    callTimeoutMs: 2_000,
  }
  return { store: new EtcdStore(settings), another: () => new EtcdStore(settings), close: () => {} }
})
