import { Etcd3 } from 'etcd3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { AT, operationRecord, record, storeContract } from '../../test/helpers/store-contract.ts'
import { EtcdStore } from './etcd-store.ts'
import { type CreateOutcome, LeaseLost } from './store.ts'

/** The handshake a create made or named: these tests never meet a busy cluster. */
async function made(outcome: Promise<CreateOutcome>) {
  const o = await outcome
  if (o.kind === 'cluster_busy') throw new Error(`cluster ${o.cluster} is busy`)
  return o
}

const etcd = useEtcdCluster()

function settings(prefix: string) {
  return {
    hosts: etcd.cluster.endpoints.map((e) => `http://${e}`),
    prefix,
    callTimeoutMs: 2_000,
  }
}

/** Every key and value under the prefix, as text. */
async function everything(prefix: string): Promise<string> {
  const client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
  try {
    const all = await client.getAll().prefix(prefix).strings()
    return Object.entries(all)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
  } finally {
    client.close()
  }
}

storeContract('EtcdStore', async () => {
  const prefix = etcd.cluster.freshPrefix()
  const store = new EtcdStore(settings(prefix))
  return {
    store,
    another: () => new EtcdStore(settings(prefix)),
    bytes: () => everything(prefix),
    cleanup: async () => store.close(),
  }
})

describe('EtcdStore', () => {
  it('keeps every key under its prefix, and stores under another prefix do not see each other', async () => {
    const [p1, p2] = [etcd.cluster.freshPrefix(), etcd.cluster.freshPrefix()]
    const a = new EtcdStore(settings(p1))
    const b = new EtcdStore(settings(p2))
    try {
      const { id } = (await made(a.createHandshake(record({}, 'key-1')))).handshake
      expect((await b.createHandshake(record({}, 'key-1'))).kind).toBe('created')
      expect(await b.getHandshake(id)).toBeUndefined()
      const keys = (await everything(p1)).split('\n').map((line) => line.slice(0, line.indexOf('=')))
      expect(keys.every((k) => k.startsWith(p1))).toBe(true)
      expect(keys.map((k) => k.slice(p1.length).split('/')[0]).sort()).toEqual([
        'by-secondary-id',
        'by-state',
        'events',
        'handshakes',
        'idempotency',
        'unfinished',
        'unfinished',
        'unfinished',
      ])
      // Once finished, the handshake no longer holds its unfinished index keys; a pending revocation has its own.
      await a.updateHandshake(id, { state: 'failed', finished_at: AT, revoke_pending: true }, AT)
      expect(await everything(`${p1}unfinished/`)).toBe('')
      expect(await everything(`${p1}by-state/`)).toBe(`${p1}by-state/failed/${encodeURIComponent(AT)}/${id}=${id}`)
      expect(await everything(`${p1}revoke-pending/`)).toBe(`${p1}revoke-pending/${id}=${id}`)
      await a.updateHandshake(id, { revoke_pending: false }, AT)
      expect(await everything(`${p1}revoke-pending/`)).toBe('')
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('EtcdStore operation keys', () => {
  it('holds a lock key per cluster and an unfinished key while the operation is unfinished, none once it finished, and its index keys', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const store = new EtcdStore(settings(prefix))
    try {
      const op = operationRecord({ kind: 'drill', clusters: ['dc1', 'dc2', 'dc1'] })
      expect((await store.createOperation(op)).kind).toBe('created')
      const lock = JSON.stringify({ kind: 'drill', id: 'op-1' })
      expect(await everything(`${prefix}locks/`)).toBe(
        `${prefix}locks/cluster/dc1=${lock}\n${prefix}locks/cluster/dc2=${lock}`,
      )
      expect(await everything(`${prefix}unfinished/operation/`)).toBe(`${prefix}unfinished/operation/op-1=op-1`)
      // One key in its state's folder, one in each of its clusters' folders.
      const at = encodeURIComponent(AT)
      expect(await everything(`${prefix}operations-by-state/`)).toBe(
        `${prefix}operations-by-state/pending/drill/${at}/op-1=op-1`,
      )
      const byCluster = `${prefix}operations-by-cluster/dc1/drill/${at}/op-1=op-1\n${prefix}operations-by-cluster/dc2/drill/${at}/op-1=op-1`
      expect(await everything(`${prefix}operations-by-cluster/`)).toBe(byCluster)
      await store.updateOperation('op-1', { state: 'succeeded', finished_at: AT }, AT)
      expect(await everything(`${prefix}locks/`)).toBe('')
      expect(await everything(`${prefix}unfinished/`)).toBe('')
      // The state key moved with the state; the cluster keys stay.
      expect(await everything(`${prefix}operations-by-state/`)).toBe(
        `${prefix}operations-by-state/succeeded/drill/${at}/op-1=op-1`,
      )
      expect(await everything(`${prefix}operations-by-cluster/`)).toBe(byCluster)
    } finally {
      await store.close()
    }
  })
})

describe('EtcdStore by-state keys', () => {
  it('lists and counts handshakes a gateway before those keys stored, once it wrote them', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const a = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
    try {
      const ids: string[] = []
      for (const [i, at] of ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z', AT, AT].entries()) {
        const h = { ...record({ secondary: `dc${i + 2}`, secondary_id: `dc${i + 2}` }), created_at: at }
        ids.push((await made(a.createHandshake(h))).handshake.id)
      }
      await a.updateHandshake(ids[1] as string, { state: 'succeeded', finished_at: AT }, AT)
      // As an older gateway left it: no by-state keys, no mark.
      await client.delete().prefix(`${prefix}by-state/`)
      await client.delete().key(`${prefix}meta/by_state_index`)
      const b = new EtcdStore(settings(prefix))
      try {
        expect(await b.countByState()).toEqual({ pending: 3, running: 0, succeeded: 1, failed: 0, cancelled: 0 })
        // Newest first; the two created at the same moment (AT, the oldest) in creation order, newest first.
        const [h0, h1, h2, h3] = ids
        expect((await b.listHandshakes({ limit: 10 })).map((h) => h.id)).toEqual([h1, h0, h3, h2])
        expect((await b.listHandshakes({ limit: 3 })).map((h) => h.id)).toEqual([h1, h0, h3])
        expect((await b.listHandshakes({ state: 'pending', limit: 2 })).map((h) => h.id)).toEqual([h0, h3])
        expect(await everything(`${prefix}meta/by_state_index`)).toBe(`${prefix}meta/by_state_index=v1`)
      } finally {
        await b.close()
      }
    } finally {
      client.close()
      await a.close()
    }
  })
})

/** The Range (read) requests the members served so far, from their own counters. */
async function rangeRequests(): Promise<number> {
  let total = 0
  for (const endpoint of etcd.cluster.endpoints) {
    const text = await (await fetch(`http://${endpoint}/metrics`)).text()
    total += Number(
      /^grpc_server_started_total\{grpc_method="Range",grpc_service="etcdserverpb\.KV".*\} (\d+)$/m.exec(text)?.[1],
    )
  }
  return total
}

describe('EtcdStore writes of a lease holder', () => {
  it('follow its own last write without reading first, and still meet what another gateway wrote meanwhile', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const [a, b] = [new EtcdStore(settings(prefix)), new EtcdStore(settings(prefix))]
    try {
      const { id } = (await made(a.createHandshake(record()))).handshake
      expect(await a.claim(id, 'gw-a/1', 1_000, 60_000)).toBe(true)
      const reads = await rangeRequests()
      await a.updateHandshake(id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } }, 'gw-a/1')
      expect(await a.claim(id, 'gw-a/1', 2_000, 61_000)).toBe(true)
      await a.updateHandshake(id, { recheck_cluster: true }, AT, undefined, 'gw-a/1')
      expect(await rangeRequests()).toBe(reads)

      // A cancellation through another gateway: the holder's next write fails its comparison, reads, and says so.
      await b.requestCancel(id, AT)
      expect(await a.updateHandshake(id, { mint_requested_at: AT }, AT, undefined, 'gw-a/1')).toEqual({
        cancel_requested: true,
      })
      expect(await b.getHandshake(id)).toMatchObject({
        state: 'running',
        recheck_cluster: true,
        mint_requested_at: AT,
        cancel_requested: true,
      })
      // Another gateway takes the lease over once it ran out: the first one's next write is refused.
      expect(await b.claim(id, 'gw-b/1', 70_000, 80_000)).toBe(true)
      await expect(a.updateHandshake(id, { state: 'failed' }, AT, undefined, 'gw-a/1')).rejects.toBeInstanceOf(
        LeaseLost,
      )
      await a.release(id, 'gw-a/1')
      await b.updateHandshake(id, { state: 'cancelled', finished_at: AT }, AT, undefined, 'gw-b/1')
      expect(await a.getHandshake(id)).toMatchObject({ state: 'cancelled', mint_requested_at: AT })
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('EtcdStore without a quorum', () => {
  let store: EtcdStore
  beforeAll(() => {
    store = new EtcdStore(settings(etcd.cluster.freshPrefix()))
  })
  afterAll(async () => {
    await store.close()
    // Leave the cluster whole for the file's other tests, whatever happened here.
    etcd.cluster.start(1)
    etcd.cluster.start(2)
    await etcd.cluster.waitHealthy()
  })

  it('fails reads and writes with GATEWAY_ERR_STORE_UNAVAILABLE, and works again once the quorum is back', async () => {
    const { id } = (await made(store.createHandshake(record()))).handshake
    expect(await store.claim(id, 'gw-a/1', 1000, 2000)).toBe(true)
    await etcd.cluster.stop(1)
    await etcd.cluster.stop(2)
    const unavailable = { code: 'GATEWAY_ERR_STORE_UNAVAILABLE', statusCode: 503 }
    await expect(store.ping()).rejects.toMatchObject(unavailable)
    await expect(store.updateHandshake(id, { state: 'running' }, AT, undefined, 'gw-a/1')).rejects.toMatchObject(
      unavailable,
    )
    await expect(store.claim(id, 'gw-a/1', 1500, 2500)).rejects.toMatchObject(unavailable)
    etcd.cluster.start(1)
    etcd.cluster.start(2)
    await etcd.cluster.waitHealthy()
    // The client may wait out a member it stopped trying for a moment: retry the first write until it answers.
    const deadline = Date.now() + 15_000
    for (;;) {
      try {
        await store.updateHandshake(id, { state: 'running' }, AT, undefined, 'gw-a/1')
        break
      } catch (err) {
        if (Date.now() > deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    expect((await store.getHandshake(id))?.state).toBe('running')
  }, 60_000)
})

describe('EtcdStore with its first member down', () => {
  afterAll(async () => {
    etcd.cluster.start(0)
    await etcd.cluster.waitHealthy()
  })

  it('goes on through the next member: reads and fenced writes succeed, each in about one call', async () => {
    const store = new EtcdStore(settings(etcd.cluster.freshPrefix()))
    try {
      const { id } = (await made(store.createHandshake(record()))).handshake
      expect(await store.claim(id, 'gw-a/1', 1000, 2000)).toBe(true)
      await etcd.cluster.stop(0)
      // The member is refused at once (no deadline to wait out), then passed over.
      const started = performance.now()
      await store.updateHandshake(id, { state: 'running' }, AT, undefined, 'gw-a/1')
      for (let i = 0; i < 20; i++) await store.getHandshake(id)
      expect(performance.now() - started).toBeLessThan(2_000)
      expect((await store.getHandshake(id))?.state).toBe('running')
    } finally {
      await store.close()
    }
  }, 30_000)
})

describe('EtcdStore with its first member hung', () => {
  afterAll(async () => {
    etcd.cluster.resume(0)
    await etcd.cluster.waitHealthy()
  })

  it('answers pings through the other members at once, and its reads cost the hung one deadline, then go around it', async () => {
    const store = new EtcdStore(settings(etcd.cluster.freshPrefix()))
    try {
      await store.setMeta('k', 'v')
      await store.ping()
      etcd.cluster.pause(0)
      // A quorum is left: every ping is answered by it, however long member 0 hangs (no deadline of its own to wait).
      const deadline = Date.now() + 5_000
      // The two left may first elect a leader (member 0 may have been it): at most a few election timeouts.
      for (;;) {
        try {
          await store.ping()
          break
        } catch (err) {
          if (Date.now() > deadline) throw err
        }
      }
      const pings = performance.now()
      for (let i = 0; i < 10; i++) await store.ping()
      expect(performance.now() - pings).toBeLessThan(1_000)
      // A read tries member 0 first once (its 2 s deadline), then the next; member 0 then rests and costs no more.
      expect(await store.getMeta('k')).toBe('v')
      const reads = performance.now()
      for (let i = 0; i < 10; i++) expect(await store.getMeta('k')).toBe('v')
      expect(performance.now() - reads).toBeLessThan(1_000)
    } finally {
      await store.close()
    }
  }, 30_000)
})
