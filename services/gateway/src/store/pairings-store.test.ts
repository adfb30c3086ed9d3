import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { tempDir } from '../../test/helpers/gateway.ts'
import { record } from '../../test/helpers/store-contract.ts'
import { EtcdStore } from './etcd-store.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'

const etcd = useEtcdCluster()

const at = (day: number) => new Date(Date.UTC(2026, 11, day)).toISOString()

/** A handshake of `secondary` to `primary` that ended in `state` at `finishedAt`. */
async function handshake(
  store: Store,
  primary: string,
  secondary: string,
  secondaryId: string,
  finishedAt: string,
  state: 'succeeded' | 'failed' = 'succeeded',
) {
  const made = await store.createHandshake(record({ primary, secondary, secondary_id: secondaryId }))
  if (made.kind !== 'created') throw new Error(`handshake not created: ${made.kind}`)
  await store.updateHandshake(made.handshake.id, { state, finished_at: finishedAt }, finishedAt)
}

/** The same tests against each store, on fresh data every test. */
function pairingsContract(name: string, open: () => { store: Store; another: () => Store; close: () => void }) {
  describe(`${name}: pairings a switchover or failover records, over handshake-derived pairs`, () => {
    let store: Store
    let sut: ReturnType<typeof open>
    beforeEach(() => {
      sut = open()
      store = sut.store
    })
    afterEach(async () => {
      await store.close()
      sut.close()
    })

    it('answers a pairing recorded after the last succeeded handshake, for every reversed secondary', async () => {
      await handshake(store, 'dc1', 'dc2', 'dc2-id', at(1))
      await handshake(store, 'dc1', 'dc3', 'dc3-id', at(1))
      // A switchover: dc2 is the primary now, dc1 and dc3 follow it.
      await store.recordPairing({ secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1-id' }, at(2))
      await store.recordPairing({ secondary: 'dc3', primary: 'dc2', secondary_id: 'dc3-b' }, at(2))
      const another = sut.another()
      try {
        expect(await another.pairedSecondaries()).toEqual([
          { secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1-id' },
          { secondary: 'dc2', primary: 'dc1', secondary_id: 'dc2-id' },
          { secondary: 'dc3', primary: 'dc2', secondary_id: 'dc3-b' },
        ])
      } finally {
        await another.close()
      }
    })

    it('answers a succeeded handshake newer than the pairing; a failed one changes nothing', async () => {
      await store.recordPairing({ secondary: 'dc2', primary: 'dc9', secondary_id: 'dc2-old' }, at(2))
      await handshake(store, 'dc1', 'dc2', 'dc2-failed', at(4), 'failed')
      expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc9', secondary_id: 'dc2-old' }])
      await handshake(store, 'dc1', 'dc2', 'dc2-new', at(3))
      expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc1', secondary_id: 'dc2-new' }])
    })

    it('gives a tie between a handshake and a pairing to the pairing', async () => {
      await handshake(store, 'dc1', 'dc2', 'dc2-id', at(2))
      await store.recordPairing({ secondary: 'dc2', primary: 'dc3', secondary_id: 'dc2-c' }, at(2))
      expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc3', secondary_id: 'dc2-c' }])
    })

    it('records the same pairing again without change, and keeps the newer of two', async () => {
      const pairing = { secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1-id' }
      await store.recordPairing(pairing, at(3))
      await store.recordPairing(pairing, at(3))
      expect(await store.pairedSecondaries()).toEqual([pairing])
      await store.recordPairing({ ...pairing, primary: 'dc3' }, at(2))
      expect(await store.pairedSecondaries()).toEqual([pairing])
      await store.recordPairing({ ...pairing, primary: 'dc3', secondary_id: 'dc1-b' }, at(4))
      expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc1', primary: 'dc3', secondary_id: 'dc1-b' }])
    })
  })
}

pairingsContract('SqliteStore', () => {
  const dir = tempDir()
  const path = join(dir.dir, 'gateway.sqlite')
  return { store: new SqliteStore(path), another: () => new SqliteStore(path), close: dir.cleanup }
})

pairingsContract('EtcdStore', () => {
  const settings = {
    hosts: etcd.cluster.endpoints.map((e) => `http://${e}`),
    prefix: etcd.cluster.freshPrefix(),
    callTimeoutMs: 2_000,
  }
  return { store: new EtcdStore(settings), another: () => new EtcdStore(settings), close: () => {} }
})
