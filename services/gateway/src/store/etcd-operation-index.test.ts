import { randomUUID } from 'node:crypto'
import { Etcd3 } from 'etcd3'
import { describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { operationRecord } from '../../test/helpers/store-contract.ts'
import { EtcdKeys } from './etcd-keys.ts'
import { EtcdKv, type Kv } from './etcd-kv.ts'
import { EtcdOperations } from './etcd-operations.ts'
import { EtcdStore } from './etcd-store.ts'
import {
  OPERATION_KINDS,
  OPERATION_STATES,
  type OperationKindName,
  type OperationQuery,
  type OperationRecord,
  type OperationState,
  unfinishedState,
} from './store.ts'

const etcd = useEtcdCluster()

const settings = (prefix: string) => ({
  hosts: etcd.cluster.endpoints.map((e) => `http://${e}`),
  prefix,
  callTimeoutMs: 5_000,
})

const at = (second: number) => new Date(Date.UTC(2026, 2, 1, 0, 0, second)).toISOString()

const operation = (over: Partial<OperationRecord> = {}): OperationRecord =>
  operationRecord({ id: randomUUID(), created_at: at(0), ...over })

/** An operation as a gateway from before the index keys wrote it: its document alone. */
async function putAsBefore(client: Etcd3, prefix: string, op: OperationRecord): Promise<void> {
  const doc = { ...op, lease_owner: null, lease_until: null, write: randomUUID() }
  await client.put(`${prefix}operations/${encodeURIComponent(op.id)}`).value(JSON.stringify(doc))
}

/** The journal's answer as it was before the index keys: every operation read, filtered, ordered, cut. */
async function fullScan(client: Etcd3, prefix: string): Promise<(q: OperationQuery) => string[]> {
  const all = (await client.getAll().prefix(`${prefix}operations/`).exec()).kvs.map((kv) => ({
    doc: JSON.parse(kv.value.toString('utf8')) as OperationRecord,
    createRevision: Number(kv.create_revision),
  }))
  return ({ kind, state, cluster, limit }) =>
    all
      .filter(
        ({ doc }) =>
          (kind === undefined || doc.kind === kind) &&
          (state === undefined || doc.state === state) &&
          (cluster === undefined || doc.clusters.includes(cluster)),
      )
      .sort((a, b) => b.doc.created_at.localeCompare(a.doc.created_at) || b.createRevision - a.createRevision)
      .slice(0, limit)
      .map((r) => r.doc.id)
}

describe('EtcdStore operations through index keys', () => {
  it('answers every query as reading every operation did, with ties in created_at', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const [writer, reader] = [new EtcdStore(settings(prefix)), new EtcdStore(settings(prefix))]
    const client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
    try {
      // Both read once first: what follows is found through the keys the writes keep, not by building them.
      expect(await writer.listOperations({ limit: 1 })).toEqual([])
      expect(await reader.listOperations({ limit: 1 })).toEqual([])
      let seed = 7
      const pick = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
        return Math.floor(seed / 65_536) % n
      }
      const clusters = ['dc1', 'dc2', 'dc3', 'dc4']
      const finished: OperationState[] = ['succeeded', 'failed', 'cancelled']
      for (let i = 0; i < 60; i++) {
        // The last four stay unfinished, each holding a cluster of its own among those the others touch.
        const tail = i >= 56
        const op = operation({
          kind: OPERATION_KINDS[pick(4)] as OperationKindName,
          clusters: tail ? [clusters[i - 56] as string] : [clusters[pick(4)] as string, clusters[pick(4)] as string],
          // Four moments only: most operations share their created_at with others.
          created_at: at(pick(4)),
        })
        expect((await writer.createOperation(op)).kind).toBe('created')
        const target = tail ? (i % 2 === 0 ? 'pending' : 'running') : (finished[pick(3)] as OperationState)
        if (target !== 'pending') await writer.updateOperation(op.id, { state: 'running' }, op.created_at)
        if (!unfinishedState(target)) {
          await writer.updateOperation(op.id, { state: target, finished_at: op.created_at }, op.created_at)
        }
      }

      const expected = await fullScan(client, prefix)
      const queries: OperationQuery[] = []
      for (const kind of [undefined, ...OPERATION_KINDS]) {
        for (const state of [undefined, ...OPERATION_STATES]) {
          for (const cluster of [undefined, ...clusters, 'dc9']) {
            for (const limit of [1, 2, 5, 100]) queries.push({ kind, state, cluster, limit })
          }
        }
      }
      for (let i = 0; i < queries.length; i += 24) {
        const chunk = queries.slice(i, i + 24)
        const answers = await Promise.all(chunk.map((q) => reader.listOperations(q)))
        for (const [j, q] of chunk.entries()) {
          expect({ q, ids: answers[j]?.map((o) => o.id) }).toEqual({ q, ids: expected(q) })
        }
      }

      const counts = Object.fromEntries(
        OPERATION_KINDS.map((kind) => [
          kind,
          Object.fromEntries(OPERATION_STATES.map((state) => [state, expected({ kind, state, limit: 1_000 }).length])),
        ]),
      )
      expect(await reader.countOperations()).toEqual(counts)
    } finally {
      client.close()
      await writer.close()
      await reader.close()
    }
  }, 60_000)

  it('lists and counts the operations a gateway before the index keys stored, once it wrote their keys', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const a = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
    try {
      // Created with its keys, then finished by an older gateway that moved none: its pending key is stale.
      const x = operation({ kind: 'switchover', clusters: ['dc1', 'dc2'], created_at: at(3) })
      expect((await a.createOperation(x)).kind).toBe('created')
      await putAsBefore(client, prefix, { ...x, state: 'succeeded', finished_at: at(4) })
      const y = operation({ state: 'failed', clusters: ['dc1'], created_at: at(1) })
      const z = operation({ state: 'succeeded', clusters: ['dc2', 'dc1'], created_at: at(2) })
      const w = operation({ kind: 'drill', state: 'cancelled', clusters: ['dc3'], created_at: at(2) })
      for (const op of [y, z, w]) await putAsBefore(client, prefix, op)

      const b = new EtcdStore(settings(prefix))
      try {
        const zero = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
        expect(await b.countOperations()).toEqual({
          switchover: { ...zero, succeeded: 1 },
          drill: { ...zero, cancelled: 1 },
          failover: { ...zero, succeeded: 1, failed: 1 },
          rejoin: zero,
        })
        const ids = async (q: OperationQuery) => (await b.listOperations(q)).map((o) => o.id)
        expect(await ids({ kind: 'failover', cluster: 'dc1', limit: 1 })).toEqual([z.id])
        expect(await ids({ cluster: 'dc1', limit: 10 })).toEqual([x.id, z.id, y.id])
        expect(await ids({ cluster: 'dc2', state: 'succeeded', limit: 10 })).toEqual([x.id, z.id])
        expect(await ids({ limit: 2 })).toEqual([x.id, w.id])
        expect(await ids({ state: 'pending', limit: 10 })).toEqual([])
        expect((await client.get(`${prefix}meta/operations_index`).string()) ?? '').toBe('v1')
      } finally {
        await b.close()
      }
    } finally {
      client.close()
      await a.close()
    }
  })
})

/** The store's etcd calls, counting the keys (and documents) they bring back. */
class CountingKv extends EtcdKv {
  keysRead = 0

  override async get(key: string): Promise<Kv | undefined> {
    const kv = await super.get(key)
    if (kv !== undefined) this.keysRead += 1
    return kv
  }

  override async list(prefix: string): Promise<Kv[]> {
    const kvs = await super.list(prefix)
    this.keysRead += kvs.length
    return kvs
  }

  override async newestUnder(prefixes: string[], limit: number, revision?: number) {
    const res = await super.newestUnder(prefixes, limit, revision)
    this.keysRead += res.kvs.flat().length
    return res
  }

  override async getMany(keys: string[], revision?: number): Promise<Array<Kv | undefined>> {
    const kvs = await super.getMany(keys, revision)
    this.keysRead += kvs.filter((kv) => kv !== undefined).length
    return kvs
  }
}

describe('EtcdOperations with a long history', () => {
  it('finds the newest failover of a cluster, and counts, reading a few keys, not every operation', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const kv = new CountingKv(settings(prefix))
    const operations = new EtcdOperations(kv, new EtcdKeys(prefix))
    try {
      // The store is new: its index is built at once, with nothing to read.
      await operations.count()
      const others = Array.from({ length: 200 }, (_, i) =>
        operation({ state: 'succeeded', clusters: [`dc-${i}`, 'dc-primary'], created_at: at(10 + (i % 7)) }),
      )
      const mine = [at(1), at(5), at(5), at(2)].map((created_at) =>
        operation({ state: 'failed', clusters: ['dcX', 'dc-primary'], created_at }),
      )
      const drill = operation({ kind: 'drill', state: 'succeeded', clusters: ['dcX'], created_at: at(30) })
      for (const op of mine) expect((await operations.create(op)).kind).toBe('created')
      const created = await Promise.all([...others, drill].map((op) => operations.create(op)))
      expect(created.every((c) => c.kind === 'created')).toBe(true)

      kv.keysRead = 0
      const [newest, ...rest] = await operations.list({ kind: 'failover', cluster: 'dcX', limit: 1 })
      expect(rest).toEqual([])
      // The later of the two created at the same moment.
      expect(newest?.id).toBe(mine[2]?.id)
      // Its cluster folder's newest key, the two tied at that moment, and those two operations.
      expect(kv.keysRead).toBeLessThanOrEqual(5)

      kv.keysRead = 0
      expect((await operations.count()).failover).toEqual({
        pending: 0,
        running: 0,
        succeeded: 200,
        failed: 4,
        cancelled: 0,
      })
      expect(kv.keysRead).toBe(0)

      kv.keysRead = 0
      const [newestFailover] = await operations.list({ kind: 'failover', limit: 1 })
      expect(newestFailover?.created_at).toBe(at(16))
      // The newest key of each state's folder, those tied with the newest (200 / 7 of them), and their operations.
      expect(kv.keysRead).toBeLessThan(80)
    } finally {
      kv.close()
    }
  }, 60_000)
})
