import { Etcd3, type KVClient } from 'etcd3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { EtcdBatches } from './etcd-batches.ts'
import { absent, put, unchanged } from './etcd-kv.ts'

const etcd = useEtcdCluster()
let client: Etcd3

beforeAll(() => {
  client = new Etcd3({ hosts: etcd.cluster.endpoints.map((e) => `http://${e}`) })
})
afterAll(() => client.close())

/** Batches over the real client's KV, counting the requests that reach etcd. */
function counted() {
  const requests = { range: 0, txn: 0 }
  const kv = {
    range: (...args: Parameters<KVClient['range']>) => {
      requests.range++
      return client.kv.range(...args)
    },
    txn: (...args: Parameters<KVClient['txn']>) => {
      requests.txn++
      return client.kv.txn(...args)
    },
  } as unknown as KVClient
  return { batches: new EtcdBatches(kv, (err) => err), requests }
}

const read = async (key: string) => (await client.kv.range({ key: Buffer.from(key) })).kvs[0]

describe('etcd requests made together', () => {
  it('reads asked for in one turn go as one request, each answered with its own key', async () => {
    const prefix = etcd.cluster.freshPrefix()
    await Promise.all([1, 2, 3].map((i) => client.put(`${prefix}k${i}`).value(`v${i}`)))
    const { batches, requests } = counted()
    const keys = [1, 2, 3, 4, 2].map((i) => `${prefix}k${i}`)
    const values = await Promise.all(keys.map((k) => batches.read(k)))
    expect(values.map((kv) => kv?.value.toString())).toEqual(['v1', 'v2', 'v3', undefined, 'v2'])
    expect(requests).toEqual({ range: 0, txn: 1 })
  })

  it('writes to keys apart go as one request, each succeeding or not on its own comparison', async () => {
    const prefix = etcd.cluster.freshPrefix()
    await client.put(`${prefix}taken`).value('x')
    const { batches, requests } = counted()
    const outcomes = await Promise.all([
      batches.write([absent(`${prefix}a`)], [put(`${prefix}a`, '1')]),
      batches.write([absent(`${prefix}taken`)], [put(`${prefix}taken`, '2')]),
      batches.write([], [put(`${prefix}b`, '3')]),
    ])
    expect(requests.txn).toBe(1)
    expect(outcomes[0]).toBeGreaterThan(0)
    expect(outcomes[1]).toBeUndefined()
    expect(outcomes[2]).toBe(outcomes[0])
    expect((await read(`${prefix}a`))?.value.toString()).toBe('1')
    expect((await read(`${prefix}taken`))?.value.toString()).toBe('x')
    expect((await read(`${prefix}b`))?.value.toString()).toBe('3')
  })

  it('keeps compare-and-swap exact: of ten swaps of one key read at the same revision, one wins', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const key = `${prefix}counter`
    await client.put(key).value('0')
    const kv = await read(key)
    const asRead = { key, value: kv!.value, createRevision: 0, modRevision: Number(kv!.mod_revision) }
    const { batches, requests } = counted()
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => batches.write([unchanged(key, asRead)], [put(key, String(i + 1))])),
    )
    expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1)
    const winner = outcomes.findIndex((o) => o !== undefined)
    expect((await read(key))?.value.toString()).toBe(String(winner + 1))
    // Each swap of the key went alone: in one request, every comparison would have held against the state before.
    expect(requests.txn).toBe(10)
  })

  it('sends a write comparing a key another writes apart from it', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const { batches, requests } = counted()
    const outcomes = await Promise.all([
      batches.write([], [put(`${prefix}lock`, 'mine')]),
      batches.write([absent(`${prefix}lock`)], [put(`${prefix}other`, 'x')]),
    ])
    expect(requests.txn).toBe(2)
    // Whichever went first, the two are as if made one after the other.
    const lockFirst = outcomes[1] === undefined
    expect((await read(`${prefix}other`)) === undefined).toBe(lockFirst)
  })

  it('gives every caller of a request that failed the error', async () => {
    const dead = new EtcdBatches(
      {
        range: () => Promise.reject(new Error('unreachable')),
        txn: () => Promise.reject(new Error('unreachable')),
      } as unknown as KVClient,
      (err) => new Error(`mapped: ${(err as Error).message}`),
    )
    const results = await Promise.allSettled([dead.read('a'), dead.read('b'), dead.write([], [put('c', '1')])])
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual([
      'mapped: unreachable',
      'mapped: unreachable',
      'mapped: unreachable',
    ])
  })
})
