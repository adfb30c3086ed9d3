import { Etcd3 } from 'etcd3'
import { describe, expect, it } from 'vitest'
import { useEtcdCluster } from '../../test/helpers/etcd-cluster.ts'
import { AT, record } from '../../test/helpers/store-contract.ts'
import type { Check } from '../preflight/preflight.schemas.ts'
import { EtcdStore } from './etcd-store.ts'
import { SecretBox } from './secret-box.ts'
import type { CreateOutcome } from './store.ts'
import { storeReadiness } from './store-readiness.ts'

const etcd = useEtcdCluster()

const settings = (prefix: string) => ({
  hosts: etcd.cluster.endpoints.map((e) => `http://${e}`),
  prefix,
  callTimeoutMs: 2_000,
})

async function made(outcome: Promise<CreateOutcome>) {
  const o = await outcome
  if (o.kind === 'cluster_busy') throw new Error(`cluster ${o.cluster} is busy`)
  return o.handshake
}

const check = (name: string, phase: Check['phase'] = 'preflight'): Check => ({
  name,
  status: 'pass',
  code: 'OK',
  detail: `${name} answered`,
  fix: null,
  source: 'gateway',
  phase,
  latency_ms: 3,
})

/** The requests of one kind (Range: reads) the members served so far, from their own counters. */
async function requests(method: 'Range' | 'Txn'): Promise<number> {
  let total = 0
  for (const endpoint of etcd.cluster.endpoints) {
    const text = await (await fetch(`http://${endpoint}/metrics`)).text()
    const line = new RegExp(
      `^grpc_server_started_total\\{grpc_method="${method}",grpc_service="etcdserverpb\\.KV".*\\} (\\d+)$`,
      'm',
    )
    total += Number(line.exec(text)?.[1] ?? 0)
  }
  return total
}

describe('EtcdStore handshake checks', () => {
  it('keeps them under their own key, written only when they change, and every read of a record has them', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const store = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: settings(prefix).hosts })
    try {
      const first = [check('tcp'), check('tls')]
      const h = await made(store.createHandshake({ ...record({}, 'key-1'), checks: first }))
      const doc = async () => JSON.parse((await client.get(`${prefix}handshakes/${h.id}`).string()) ?? '{}')
      const checksKey = () => client.get(`${prefix}handshake-checks/${h.id}`).exec()
      expect(await doc()).not.toHaveProperty('checks')
      const written = (await checksKey()).kvs[0]?.mod_revision
      await store.updateHandshake(h.id, { state: 'running' }, AT)
      expect((await checksKey()).kvs[0]?.mod_revision).toBe(written)
      expect(await store.getHandshake(h.id)).toMatchObject({ state: 'running', checks: first })

      const second = [...first, check('cluster-port', 'post_enable')]
      await store.updateHandshake(h.id, { checks: second }, AT)
      expect(await doc()).not.toHaveProperty('checks')
      expect(await store.getHandshake(h.id)).toMatchObject({ checks: second })
      expect(await store.handshakeByIdempotencyKey('key-1')).toMatchObject({ checks: second })
      expect((await store.listHandshakes({ limit: 5 }))[0]).toMatchObject({ id: h.id, checks: second })
      expect((await store.resumable('gw-a/1', 1_000))[0]).toMatchObject({ id: h.id, checks: second })
      expect(await store.requestCancel(h.id, AT)).toMatchObject({ cancel_requested: true, checks: second })
      await store.updateHandshake(h.id, { state: 'failed', finished_at: AT, revoke_pending: true }, AT)
      expect((await store.pendingRevocations())[0]).toMatchObject({ id: h.id, checks: second })
    } finally {
      client.close()
      await store.close()
    }
  })

  it('reads the checks a handshake stored before they had their own key, until new ones replace them', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const store = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: settings(prefix).hosts })
    try {
      const h = await made(store.createHandshake(record()))
      // As an older gateway wrote it: the checks inside the handshake's key.
      const key = `${prefix}handshakes/${h.id}`
      const old = [check('tcp')]
      await client
        .put(key)
        .value(JSON.stringify({ ...JSON.parse((await client.get(key).string()) ?? '{}'), checks: old }))
      const other = new EtcdStore(settings(prefix))
      try {
        expect(await other.getHandshake(h.id)).toMatchObject({ checks: old })
        await other.updateHandshake(h.id, { state: 'running' }, AT)
        expect(await other.getHandshake(h.id)).toMatchObject({ state: 'running', checks: old })
        const fresh = [check('tls')]
        await other.updateHandshake(h.id, { checks: fresh }, AT)
        expect(JSON.parse((await client.get(key).string()) ?? '{}')).not.toHaveProperty('checks')
        expect(await other.getHandshake(h.id)).toMatchObject({ checks: fresh })
      } finally {
        await other.close()
      }
    } finally {
      client.close()
      await store.close()
    }
  })
})

describe('EtcdStore claim and release by the gateway that created the handshake', () => {
  it('write without reading first, and a claim another gateway made first still wins', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const [a, b] = [new EtcdStore(settings(prefix)), new EtcdStore(settings(prefix))]
    try {
      const h = await made(a.createHandshake(record()))
      const reads = await requests('Range')
      expect(await a.claim(h.id, 'gw-a/1', 1_000, 60_000)).toBe(true)
      await a.updateHandshake(h.id, { state: 'succeeded', finished_at: AT }, AT, undefined, 'gw-a/1')
      await a.release(h.id, 'gw-a/1')
      expect(await requests('Range')).toBe(reads)
      expect(await b.getHandshake(h.id)).toMatchObject({ state: 'succeeded' })
      expect(await b.claim(h.id, 'gw-b/1', 2_000, 61_000)).toBe(false)

      const other = await made(a.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' })))
      expect(await b.claim(other.id, 'gw-b/1', 1_000, 60_000)).toBe(true)
      expect(await a.claim(other.id, 'gw-a/1', 1_000, 60_000)).toBe(false)
      await expect(a.updateHandshake(other.id, { state: 'running' }, AT, undefined, 'gw-a/1')).rejects.toThrow()
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('EtcdStore createHandshake refused by a stale index', () => {
  it('names the key that names no unfinished handshake instead of retrying forever', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const store = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: settings(prefix).hosts })
    try {
      // Left by a hand edit or a restored backup: the handshake it names does not exist.
      await client.put(`${prefix}unfinished/secondary/dc2`).value('gone-long-ago')
      await expect(store.createHandshake(record({ secondary: 'dc2', secondary_id: 'dc2' }))).rejects.toThrow(
        `${prefix}unfinished/secondary/dc2 (a stale index`,
      )
      await client.delete().key(`${prefix}unfinished/secondary/dc2`)
      expect((await store.createHandshake(record({ secondary: 'dc2', secondary_id: 'dc2' }))).kind).toBe('created')
    } finally {
      client.close()
      await store.close()
    }
  })
})

describe('EtcdStore when etcd refuses writes (its NOSPACE alarm)', () => {
  it('says so in readiness and on each write, with the fix, instead of "no quorum"', async () => {
    const prefix = etcd.cluster.freshPrefix()
    const store = new EtcdStore(settings(prefix))
    const client = new Etcd3({ hosts: settings(prefix).hosts })
    const alarm = (action: 'Activate' | 'Deactivate', memberID: string) =>
      client.maintenance.alarm({ action, memberID, alarm: 'Nospace' })
    const [member] = (await client.cluster.memberList({ linearizable: true })).members
    if (member === undefined) throw new Error('no etcd member listed')
    try {
      await store.ping()
      expect(await store.refusesWrites()).toBeUndefined()
      await alarm('Activate', member.ID)
      // Reads go on (the primaries' contacts wait on ping), and readiness says why writes fail.
      await store.ping()
      expect(await store.refusesWrites()).toMatchObject({ code: 'GATEWAY_ERR_STORE_FULL' })
      expect((await storeReadiness(store, new SecretBox('k'))()).detail).toContain('GATEWAY_ERR_STORE_FULL')
      await expect(store.setMeta('some-key', 'v')).rejects.toMatchObject({
        code: 'GATEWAY_ERR_STORE_FULL',
        fix: expect.stringContaining('etcdctl alarm disarm'),
      })
      // Reads still work.
      expect(await store.getMeta('some-key')).toBeUndefined()
    } finally {
      await alarm('Deactivate', member.ID)
      client.close()
      await store.close()
    }
    const after = new EtcdStore(settings(prefix))
    try {
      expect(await after.refusesWrites()).toBeUndefined()
      await after.setMeta('some-key', 'v')
    } finally {
      await after.close()
    }
  })
})
