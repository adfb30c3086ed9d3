import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newHandshake } from '../../src/handshakes/handshake-record.ts'
import type { CreateHandshakeBody } from '../../src/handshakes/handshakes.schemas.ts'
import { SecretBox } from '../../src/store/secret-box.ts'
import {
  type CreateOutcome,
  type HandshakeRecord,
  LeaseLost,
  type OperationRecord,
  type Store,
  type StoredCluster,
} from '../../src/store/store.ts'

/** A store as these tests use it: no operation ever holds a cluster here, so no create answers cluster_busy. */
type HandshakeOnlyStore = Omit<Store, 'createHandshake'> & {
  createHandshake(h: HandshakeRecord): Promise<Exclude<CreateOutcome, { kind: 'cluster_busy' }>>
}

export const AT = '2026-01-01T00:00:00.000Z'
export const secondary: StoredCluster = {
  name: 'dc2',
  role: 'secondary',
  agent_url: 'http://a:1',
  agent_token_sealed: new Uint8Array([1]),
  created_at: AT,
  updated_at: AT,
}
const body = (over: Partial<CreateHandshakeBody> = {}): CreateHandshakeBody => ({
  primary: 'dc1',
  secondary: 'dc2',
  inspect: true,
  skip_checks: [],
  allow_repoint: false,
  ...over,
})
export const record = (over: Partial<CreateHandshakeBody> = {}, key?: string) =>
  newHandshake(body(over), { secondary, defaultTokenTtl: '5m', at: AT, idempotencyKey: key })

/** A pending failover of dc1 created at `AT`, with no steps: what the store keeps, as a test changes it. */
export const operationRecord = (over: Partial<OperationRecord> = {}): OperationRecord => {
  const created = over.created_at ?? AT
  return {
    id: 'op-1',
    kind: 'failover',
    state: 'pending',
    clusters: ['dc1'],
    subject: {},
    data: {},
    steps: [],
    error: null,
    cancel_requested: false,
    idempotency_key: null,
    request_hash: null,
    created_at: created,
    updated_at: created,
    finished_at: null,
    ...over,
  }
}

/** One store under test, on fresh data. */
export interface StoreUnderTest {
  store: Store
  /** Another store on the same data: another connection, as another gateway would open. */
  another(): Store
  /** Everything the store holds, as text, to look for secrets in clear. */
  bytes(): Promise<string>
  cleanup(): Promise<void>
}

/**
 * What every Store must do, whatever keeps it: the same tests run against SQLite and etcd. `open` gives each test a
 * store on fresh data.
 */
export function storeContract(name: string, open: () => Promise<StoreUnderTest>) {
  describe(`${name}: the Store contract`, () => {
    let sut: StoreUnderTest
    let store: HandshakeOnlyStore
    const others: Store[] = []
    const another = () => {
      const s = sut.another()
      others.push(s)
      return s
    }
    beforeEach(async () => {
      sut = await open()
      store = sut.store as HandshakeOnlyStore
    })
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close()
      await sut.cleanup()
    })

    it('answers ping, and keeps meta values', async () => {
      await store.ping()
      expect(await store.getMeta('k')).toBeUndefined()
      await store.setMeta('k', 'v1')
      await store.setMeta('k', 'v2')
      expect(await another().getMeta('k')).toBe('v2')
    })

    it('reads every meta entry under a prefix at once, and only those', async () => {
      await store.setMeta('fence/dc1', 'a')
      await store.setMeta('fence/dc2', '')
      await store.setMeta('fenced', 'not under fence/')
      await store.setMeta('auto-failover/dc1', 'b')
      expect(await another().metaUnder('fence/')).toEqual(
        new Map([
          ['fence/dc1', 'a'],
          ['fence/dc2', ''],
        ]),
      )
      expect(await store.metaUnder('nothing/')).toEqual(new Map())
    })

    it('replaces or deletes a meta entry only while it holds the value the caller read', async () => {
      await store.setMeta('contact/dc1/gw-a', 'seen')
      await another().setMeta('contact/dc1/gw-a', 'written again')
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'seen', null)).toBe(false)
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'seen', 'from a stale read')).toBe(false)
      expect(await store.getMeta('contact/dc1/gw-a')).toBe('written again')
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'written again', 'patched')).toBe(true)
      expect(await another().getMeta('contact/dc1/gw-a')).toBe('patched')
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'patched', null)).toBe(true)
      expect(await another().getMeta('contact/dc1/gw-a')).toBeUndefined()
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'patched', 'again')).toBe(false)
      expect(await store.getMeta('contact/dc1/gw-a')).toBeUndefined()
      // Expected none: created only while there is none.
      expect(await store.replaceMetaIf('contact/dc1/gw-a', undefined, 'created')).toBe(true)
      expect(await another().replaceMetaIf('contact/dc1/gw-a', undefined, 'created twice')).toBe(false)
      expect(await another().getMeta('contact/dc1/gw-a')).toBe('created')
      expect(await store.replaceMetaIf('contact/dc1/gw-a', 'created', null)).toBe(true)
      // Several at once (on etcd, one request of nested transactions): each decided on its own value.
      await Promise.all(['a', 'b', 'c'].map((k) => store.setMeta(`contact/${k}/gw-a`, k)))
      const done = await Promise.all([
        store.replaceMetaIf('contact/a/gw-a', 'a', null),
        store.replaceMetaIf('contact/b/gw-a', 'stale', null),
        store.replaceMetaIf('contact/c/gw-a', 'c', 'c2'),
      ])
      expect(done).toEqual([true, false, true])
      expect(await another().metaUnder('contact/')).toEqual(
        new Map([
          ['contact/b/gw-a', 'b'],
          ['contact/c/gw-a', 'c2'],
        ]),
      )
    })

    it('writes concurrent transitions each on its own: one failing write leaves the others', async () => {
      const a = await store.createHandshake(record({ secondary: 'dc2' }))
      const b = await store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' }))
      expect(b.kind).toBe('created')
      const outcomes = await Promise.allSettled([
        store.updateHandshake(a.handshake.id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } }),
        store.updateHandshake('no-such-handshake', { state: 'running' }, AT, { type: 'state', data: {} }),
        store.updateHandshake(b.handshake.id, { state: 'failed', finished_at: AT }, AT),
      ])
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      // Committed: another connection sees both, and the failed write left no event behind.
      const other = another()
      expect((await other.getHandshake(a.handshake.id))?.state).toBe('running')
      expect((await other.getHandshake(b.handshake.id))?.state).toBe('failed')
      expect((await other.events(a.handshake.id, 0)).map((e) => e.type)).toEqual(['state', 'state'])
      expect(await other.events('no-such-handshake', 0)).toEqual([])
    })

    it('keeps one unfinished handshake per secondary, also for another connection', async () => {
      const first = await store.createHandshake(record())
      expect(first.kind).toBe('created')
      const other = another()
      const second = await other.createHandshake(record())
      expect(second).toMatchObject({ kind: 'in_progress', handshake: { id: first.handshake.id } })
      await store.updateHandshake(first.handshake.id, { state: 'failed', finished_at: AT }, AT)
      expect((await other.createHandshake(record())).kind).toBe('created')
    })

    it('lets exactly one of many concurrent creations for one secondary through', async () => {
      const stores = [store, another(), another()]
      const outcomes = await Promise.all(
        stores.flatMap((s) => [s.createHandshake(record()), s.createHandshake(record())]),
      )
      const created = outcomes.filter((o) => o.kind === 'created')
      expect(created).toHaveLength(1)
      const winner = created[0]?.handshake.id
      for (const o of outcomes.filter((o) => o.kind !== 'created')) {
        expect(o).toMatchObject({ kind: 'in_progress', handshake: { id: winner } })
      }
      expect(await store.countByState()).toMatchObject({ pending: 1 })
    })

    it('replays an idempotency key with the same body and refuses it with another', async () => {
      const first = await store.createHandshake(record({}, 'key-1'))
      expect((await store.createHandshake(record({}, 'key-1'))).kind).toBe('replayed')
      const conflict = await store.createHandshake(record({ inspect: false }, 'key-1'))
      expect(conflict).toMatchObject({ kind: 'key_conflict', handshake: { id: first.handshake.id } })
      // Once finished, the same key still names the same handshake rather than starting another.
      await store.updateHandshake(first.handshake.id, { state: 'succeeded' }, AT)
      expect((await store.createHandshake(record({}, 'key-1'))).handshake.id).toBe(first.handshake.id)
    })

    it('finds the handshake an idempotency key made', async () => {
      const first = await store.createHandshake(record({}, 'key-2'))
      expect((await store.handshakeByIdempotencyKey('key-2'))?.id).toBe(first.handshake.id)
      expect(await store.handshakeByIdempotencyKey('key-3')).toBeUndefined()
    })

    it('writes transitions with their events, and lists newest first with a state filter', async () => {
      const a = (await store.createHandshake(record())).handshake
      const steps = a.steps.map((s) => (s.name === 'preflight' ? { ...s, status: 'running' as const } : s))
      const answer = await store.updateHandshake(a.id, { state: 'running', steps }, '2026-01-01T00:00:01.000Z', {
        type: 'step',
        data: { step: steps[0] },
      })
      expect(answer).toEqual({ cancel_requested: false })
      const updated = (await store.getHandshake(a.id)) as NonNullable<Awaited<ReturnType<typeof store.getHandshake>>>
      expect(updated.state).toBe('running')
      expect(updated.updated_at).toBe('2026-01-01T00:00:01.000Z')
      expect(updated.steps[0]?.status).toBe('running')
      const events = await store.events(a.id, 0)
      expect(events.map((e) => e.type)).toEqual(['state', 'step'])
      expect(await store.events(a.id, events[0]?.seq ?? 0)).toHaveLength(1)
      await store.updateHandshake(a.id, { state: 'failed' }, AT)
      const b = (await store.createHandshake({ ...record(), created_at: '2026-01-02T00:00:00.000Z' })).handshake
      expect((await store.listHandshakes({ limit: 10 })).map((h) => h.id)).toEqual([b.id, a.id])
      expect((await store.listHandshakes({ limit: 1 })).map((h) => h.id)).toEqual([b.id])
      expect((await store.listHandshakes({ state: 'failed', limit: 10 })).map((h) => h.id)).toEqual([a.id])
      expect(await store.countByState()).toMatchObject({ pending: 1, failed: 1, running: 0 })
    })

    it('numbers events in one sequence across handshakes, increasing with every write', async () => {
      const a = (await store.createHandshake(record())).handshake
      const b = (await store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' }))).handshake
      for (const id of [a.id, b.id, a.id]) {
        await store.updateHandshake(id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } })
      }
      const seqA = (await store.events(a.id, 0)).map((e) => e.seq)
      const seqB = (await store.events(b.id, 0)).map((e) => e.seq)
      expect(seqA).toHaveLength(3)
      const all = [...seqA, ...seqB].sort((x, y) => x - y)
      expect(new Set(all).size).toBe(5)
      // In write order: a's create, b's create, a, b, a.
      expect([seqA[0], seqB[0], seqA[1], seqB[1], seqA[2]]).toEqual(all)
    })

    it('numbers the several events of one write in their order, after those before and before those after', async () => {
      const a = (await store.createHandshake(record())).handshake
      const b = (await store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' }))).handshake
      const [ended, started] = a.steps.slice(0, 2).map((s, i) => ({ ...s, status: i === 0 ? 'succeeded' : 'running' }))
      await store.updateHandshake(a.id, { state: 'running' }, AT, [
        { type: 'step', data: { step: ended } },
        { type: 'step', data: { step: started } },
      ])
      await store.updateHandshake(b.id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } })
      const seqA = (await store.events(a.id, 0)).map((e) => e.seq)
      const seqB = (await store.events(b.id, 0)).map((e) => e.seq)
      expect((await store.events(a.id, 0)).map((e) => (e.data.step as { name?: string } | undefined)?.name)).toEqual([
        undefined,
        ended?.name,
        started?.name,
      ])
      // a's create, b's create, a's two, b's write.
      expect([seqA[0], seqB[0], seqA[1], seqA[2], seqB[1]]).toEqual([...seqA, ...seqB].sort((x, y) => x - y))
      expect(new Set([...seqA, ...seqB]).size).toBe(5)
      expect((await store.events(a.id, seqA[1] ?? 0)).map((e) => e.seq)).toEqual([seqA[2]])
    })

    it('leases a handshake to one gateway until it runs out', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.claim(id, 'gw-a', 1000, 2000)).toBe(true)
      expect(await store.claim(id, 'gw-b', 1500, 2500)).toBe(false)
      expect((await store.resumable('gw-b', 1500)).map((h) => h.id)).toEqual([])
      expect((await store.resumable('gw-a', 1500)).map((h) => h.id)).toEqual([id])
      expect((await store.resumable('gw-b', 2001)).map((h) => h.id)).toEqual([id])
      expect(await store.claim(id, 'gw-b', 2001, 3000)).toBe(true)
      await store.release(id, 'gw-b')
      expect(await store.claim(id, 'gw-a', 2002, 3000)).toBe(true)
    })

    it('renews a lease only while its owner still holds it: never one released or taken over meanwhile', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.claim(id, 'gw-a/1', 1000, 2000)).toBe(true)
      expect(await store.renew(id, 'gw-a/1', 3000)).toBe(true)
      expect(await store.claim(id, 'gw-b/1', 2500, 4000)).toBe(false)
      // Frozen past its lease: another took the handshake over, then released it (it stopped, or a write failed).
      expect(await another().claim(id, 'gw-b/1', 3001, 5000)).toBe(true)
      expect(await store.renew(id, 'gw-a/1', 6000)).toBe(false)
      await another().release(id, 'gw-b/1')
      expect(await store.renew(id, 'gw-a/1', 6000)).toBe(false)
      expect(await store.renew('no-such-handshake', 'gw-a/1', 6000)).toBe(false)
      // A takeover is a claim, which a free lease allows.
      expect(await store.claim(id, 'gw-a/2', 3002, 6000)).toBe(true)
      expect(await store.renew(id, 'gw-a/2', 7000)).toBe(true)
      await store.updateHandshake(id, { state: 'succeeded', finished_at: AT }, AT, undefined, 'gw-a/2')
      expect(await store.renew(id, 'gw-a/2', 8000)).toBe(false)
    })

    it("takes over an earlier process's lease by gateway name, not another gateway's", async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.claim(id, 'gw-a/1', 1000, 5000)).toBe(true)
      expect(await store.claim(id, 'gw-ab/2', 1500, 5000, 'gw-ab')).toBe(false)
      expect((await store.resumable('gw-a/2', 1500, 'gw-a')).map((h) => h.id)).toEqual([id])
      expect(await store.claim(id, 'gw-a/2', 1500, 5000, 'gw-a')).toBe(true)
      await store.release(id, 'gw-a/1')
      expect(await store.claim(id, 'gw-b/1', 1600, 5000)).toBe(false)
    })

    it('fences writes by lease owner: another owner, or a finished handshake, is LeaseLost', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.claim(id, 'gw-a/1', 1000, 2000)).toBe(true)
      await store.updateHandshake(id, { state: 'running' }, AT, undefined, 'gw-a/1')
      await expect(store.updateHandshake(id, { state: 'failed' }, AT, undefined, 'gw-b/1')).rejects.toThrow(LeaseLost)
      // The lease ran out but nobody took it: its owner may still write.
      await store.updateHandshake(id, { recheck_cluster: true }, AT, undefined, 'gw-a/1')
      expect(await another().claim(id, 'gw-b/1', 2001, 3000)).toBe(true)
      await expect(
        store.updateHandshake(id, { state: 'succeeded' }, AT, { type: 'state', data: {} }, 'gw-a/1'),
      ).rejects.toThrow(LeaseLost)
      await store.updateHandshake(id, { state: 'succeeded', finished_at: AT }, AT, undefined, 'gw-b/1')
      await expect(store.updateHandshake(id, { revoke_pending: true }, AT, undefined, 'gw-b/1')).rejects.toThrow(
        LeaseLost,
      )
      expect(await store.claim(id, 'gw-b/1', 2002, 3000)).toBe(false)
      const final = await store.getHandshake(id)
      expect(final).toMatchObject({ state: 'succeeded', recheck_cluster: true, revoke_pending: false })
      expect((await store.events(id, 0)).map((e) => e.type)).toEqual(['state'])
      await expect(store.updateHandshake('nope', { state: 'failed' }, AT, undefined, 'gw-b/1')).rejects.toThrow(
        'no handshake nope',
      )
    })

    it('lets one of two owners racing for an expired lease win, and only that one write', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.claim(id, 'gw-a/1', 1000, 2000)).toBe(true)
      const other = another()
      const [b, c] = await Promise.all([store.claim(id, 'gw-b/1', 3000, 9000), other.claim(id, 'gw-c/1', 3000, 9000)])
      expect([b, c].filter(Boolean)).toHaveLength(1)
      const [winner, loser] = b ? ['gw-b/1', 'gw-c/1'] : ['gw-c/1', 'gw-b/1']
      await store.updateHandshake(id, { state: 'running' }, AT, undefined, winner)
      await expect(other.updateHandshake(id, { state: 'running' }, AT, undefined, loser)).rejects.toThrow(LeaseLost)
    })

    it('records mints and activations of a secondary id for other handshakes to see', async () => {
      const a = (await store.createHandshake(record({ secondary_id: 'sid' }))).handshake
      expect(await store.secondaryIdHistory('dc1', 'sid', 'other')).toEqual({ minted: false, activated: false })
      await store.updateHandshake(a.id, { mint_requested_at: AT }, AT)
      expect(await store.secondaryIdHistory('dc1', 'sid', 'other')).toEqual({ minted: true, activated: false })
      expect(await store.secondaryIdHistory('dc1', 'sid', a.id)).toEqual({ minted: false, activated: false })
      const steps = a.steps.map((s) => (s.name === 'activate_secondary' ? { ...s, status: 'succeeded' as const } : s))
      await store.updateHandshake(a.id, { steps }, AT)
      expect(await store.secondaryIdHistory('dc1', 'sid', 'other')).toEqual({ minted: true, activated: true })
      expect(await store.secondaryIdHistory('dc9', 'sid', 'other')).toEqual({ minted: false, activated: false })
    })

    it('lists finished handshakes with a revocation pending, oldest first', async () => {
      const a = (await store.createHandshake(record())).handshake
      await store.updateHandshake(a.id, { revoke_pending: true }, AT)
      expect(await store.pendingRevocations()).toEqual([])
      await store.updateHandshake(a.id, { state: 'failed', finished_at: '2026-01-01T00:00:02.000Z' }, AT)
      const b = (await store.createHandshake(record())).handshake
      await store.updateHandshake(b.id, { state: 'failed', revoke_pending: true, finished_at: AT }, AT)
      expect((await store.pendingRevocations()).map((h) => h.id)).toEqual([b.id, a.id])
    })

    it('keeps a DR operation token per primary, written only over the one the writer read, sealed', async () => {
      const token = (issuedAt: string, sealed: number) => ({
        primary: 'dc1',
        token_sealed: Uint8Array.of(sealed, 2, 3),
        issued_at: issuedAt,
        expires_at: '2026-12-04T16:00:00.000Z',
        primary_cluster_id: 'c-1',
        previous_sealed: null,
        previous_expires_at: null,
        updated_at: issuedAt,
      })
      expect(await store.listDrTokens()).toEqual([])
      expect(await store.putDrToken(token('2026-12-04T08:00:00.000Z', 1), null)).toBe(true)
      // Another gateway that read "none" loses: one token, not a mix.
      expect(await another().putDrToken(token('2026-12-04T08:00:01.000Z', 7), null)).toBe(false)
      const next = { ...token('2026-12-04T12:00:00.000Z', 9), previous_sealed: Uint8Array.of(1, 2, 3) }
      expect(await store.putDrToken(next, '2026-12-04T08:00:00.000Z')).toBe(true)
      const kept = await store.getDrToken('dc1')
      expect(kept?.issued_at).toBe('2026-12-04T12:00:00.000Z')
      expect([...(kept?.token_sealed ?? [])]).toEqual([9, 2, 3])
      expect([...(kept?.previous_sealed ?? [])]).toEqual([1, 2, 3])
      expect((await store.listDrTokens()).map((t) => t.primary)).toEqual(['dc1'])
      expect(await store.getDrToken('dc9')).toBeUndefined()
      await store.putCeremonyToken({ secondary: 'dc2', token_sealed: Uint8Array.of(4, 5), created_at: AT })
      expect(await store.getCeremonyToken('dc2')).toEqual({
        secondary: 'dc2',
        token_sealed: Uint8Array.of(4, 5),
        created_at: AT,
      })
      // Only the token made at the time given: one made since in its place stays.
      expect(await store.deleteCeremonyToken('dc2', '2025-12-31T23:59:59.000Z')).toBe(false)
      expect((await store.getCeremonyToken('dc2'))?.created_at).toBe(AT)
      expect(await store.deleteCeremonyToken('dc2', AT)).toBe(true)
      expect(await store.getCeremonyToken('dc2')).toBeUndefined()
      expect(await store.deleteCeremonyToken('dc2', AT)).toBe(false)
    })

    it("pairs each secondary with its last succeeded handshake's primary", async () => {
      const finish = async (primary: string, secondaryId: string, state: 'succeeded' | 'failed', at: string) => {
        const h = (await store.createHandshake({ ...record({ primary, secondary_id: secondaryId }) })).handshake
        await store.updateHandshake(h.id, { state, finished_at: at }, at)
      }
      await finish('dc1', 'dc2', 'succeeded', '2026-12-01T00:00:00.000Z')
      await finish('dc9', 'dc2-b', 'succeeded', '2026-12-02T00:00:00.000Z')
      await finish('dc1', 'dc2', 'failed', '2026-12-03T00:00:00.000Z')
      expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc9', secondary_id: 'dc2-b' }])
    })

    it('flags a cancellation only while unfinished, and says when there is no such handshake', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.cancelRequested(id)).toBe(false)
      expect((await store.requestCancel(id, AT))?.cancel_requested).toBe(true)
      expect(await store.cancelRequested(id)).toBe(true)
      expect(await store.updateHandshake(id, { state: 'running' }, AT)).toEqual({ cancel_requested: true })
      expect(await store.requestCancel('nope', AT)).toBeUndefined()
      expect(await store.cancelRequested('nope')).toBe(false)
      await store.updateHandshake(id, { state: 'cancelled', finished_at: AT }, AT)
      const other = (await store.createHandshake(record({ secondary_id: 'x' }))).handshake
      await store.updateHandshake(other.id, { state: 'failed', finished_at: AT }, AT)
      expect((await store.requestCancel(other.id, AT))?.cancel_requested).toBe(false)
    })

    it('writes with unlessCancelled only while no cancellation is on record: after one, nothing at all', async () => {
      const { id } = (await store.createHandshake(record())).handshake
      const steps = [
        { name: 'activate', status: 'running' as const, started_at: AT, finished_at: null, detail: null, error: null },
      ]
      expect(
        await store.updateHandshake(id, { state: 'running' }, AT, undefined, undefined, { unlessCancelled: true }),
      ).toEqual({
        cancel_requested: false,
      })
      await store.requestCancel(id, AT)
      const later = '2026-12-04T11:00:00.000Z'
      const event = { type: 'step' as const, data: { step: 'activate' } }
      expect(
        await store.updateHandshake(id, { steps } as never, later, event, undefined, { unlessCancelled: true }),
      ).toEqual({
        cancel_requested: true,
        skipped: true,
      })
      // A writer that does not hold the lease learns that first, as without unlessCancelled.
      await expect(
        store.updateHandshake(id, { steps } as never, later, undefined, 'gw-x/1', { unlessCancelled: true }),
      ).rejects.toBeInstanceOf(LeaseLost)
      const kept = await store.getHandshake(id)
      expect(kept?.updated_at).not.toBe(later)
      expect(kept?.steps.some((s) => s.status === 'running')).toBe(false)
      expect((await store.events(id, 0)).filter((e) => e.at === later)).toEqual([])
    })

    it('refuses to delete a cluster an unfinished handshake uses, or to change its role', async () => {
      await store.upsertCluster(secondary)
      await store.upsertCluster({ ...secondary, name: 'dc1', role: 'primary' })
      const { id } = (await store.createHandshake(record())).handshake
      expect(await store.deleteCluster('dc2')).toBe('in_use')
      expect(await store.deleteCluster('dc1')).toBe('in_use')
      expect(await store.deleteCluster('nope')).toBe('not_found')
      expect(await store.upsertCluster({ ...secondary, role: 'primary' })).toEqual({ kind: 'in_use', handshake: id })
      expect(await store.upsertCluster({ ...secondary, name: 'dc1', role: 'secondary' })).toEqual({
        kind: 'in_use',
        handshake: id,
      })
      expect((await store.getCluster('dc2'))?.role).toBe('secondary')
      expect((await store.upsertCluster({ ...secondary, agent_url: 'http://b:2' })).kind).toBe('replaced')
      await store.updateHandshake(id, { state: 'failed', finished_at: AT }, AT)
      expect((await store.upsertCluster({ ...secondary, role: 'primary' })).kind).toBe('replaced')
      expect(await store.deleteCluster('dc1')).toBe('deleted')
      expect((await store.listClusters()).map((c) => c.name)).toEqual(['dc2'])
    })

    it('keeps one unfinished handshake per secondary id of a primary', async () => {
      const first = await store.createHandshake(record({ secondary_id: 'shared' }))
      const other = { ...record({ secondary: 'dc3', secondary_id: 'shared' }), secondary: 'dc3' }
      expect(await store.createHandshake(other)).toMatchObject({
        kind: 'in_progress',
        handshake: { id: first.handshake.id },
      })
      const elsewhere = { ...record({ primary: 'dc4', secondary: 'dc3', secondary_id: 'shared' }), secondary: 'dc3' }
      expect((await store.createHandshake(elsewhere)).kind).toBe('created')
    })

    it('keeps sealed agent tokens sealed: never in clear in what it stores', async () => {
      const box = new SecretBox('store-secret-0123456789')
      const token = 'agent-token-that-must-not-leak-42'
      const sealed = box.seal(token, 'dc2')
      const first = await store.upsertCluster({ ...secondary, agent_token_sealed: sealed })
      expect(first.kind).toBe('created')
      const again = await store.upsertCluster({ ...secondary, agent_url: 'http://b:2', agent_token_sealed: sealed })
      expect(again).toMatchObject({ kind: 'replaced', cluster: { created_at: AT } })
      const stored = await another().getCluster('dc2')
      expect(stored?.agent_url).toBe('http://b:2')
      expect(box.open(stored?.agent_token_sealed ?? new Uint8Array(), 'dc2')).toBe(token)
      expect(box.open(stored?.agent_token_sealed ?? new Uint8Array(), 'dc1')).toBeUndefined()
      expect(new SecretBox('another-secret-0123456').open(sealed, 'dc2')).toBeUndefined()
      const bytes = await sut.bytes()
      expect(bytes).toContain('http://b:2')
      expect(bytes).not.toContain(token)
    })
  })
}
