import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeBytes, tempDir } from '../../test/helpers/gateway.ts'
import { newHandshake } from '../handshakes/handshake-record.ts'
import type { CreateHandshakeBody } from '../handshakes/handshakes.schemas.ts'
import { SecretBox } from './secret-box.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { StoredCluster } from './store.ts'

const AT = '2026-01-01T00:00:00.000Z'
const secondary: StoredCluster = {
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
const record = (over: Partial<CreateHandshakeBody> = {}, key?: string) =>
  newHandshake(body(over), { secondary, defaultTokenTtl: '5m', at: AT, idempotencyKey: key })

describe('SqliteStore', () => {
  let dir: { dir: string; cleanup: () => void }
  let path: string
  let store: SqliteStore
  beforeEach(() => {
    dir = tempDir()
    path = join(dir.dir, 'nested', 'gateway.sqlite')
    store = new SqliteStore(path)
  })
  afterEach(async () => {
    await store.close()
    dir.cleanup()
  })

  it('creates its directories, one file in WAL mode, and answers ping', async () => {
    await store.ping()
    const other = new SqliteStore(path)
    await other.ping()
    await other.close()
    // Owner-only: the folder it created (0700) and the database file (0600).
    const folder = dirname(path)
    expect(statSync(folder).isDirectory()).toBe(true)
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    expect(statSync(path).isFile()).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    // One database for both stores: the file, and only SQLite's WAL companions next to it.
    expect(readdirSync(folder).filter((name) => !/^gateway\.sqlite(-wal|-shm)?$/.test(name))).toEqual([])
    const raw = new DatabaseSync(path, { readOnly: true })
    try {
      expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    } finally {
      raw.close()
    }
  })

  it('commits writes of the same moment together, and one failing write leaves the others', async () => {
    const a = await store.createHandshake(record({ secondary: 'dc2' }))
    const b = await store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' }))
    expect(b.kind).toBe('created')
    const outcomes = await Promise.allSettled([
      store.updateHandshake(a.handshake.id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } }),
      store.updateHandshake('no-such-handshake', { state: 'running' }, AT, { type: 'state', data: {} }),
      store.updateHandshake(b.handshake.id, { state: 'failed', finished_at: AT }, AT),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    // Committed: a second connection to the file sees both, and the failed write left no event behind.
    const other = new SqliteStore(path)
    expect((await other.getHandshake(a.handshake.id))?.state).toBe('running')
    expect((await other.getHandshake(b.handshake.id))?.state).toBe('failed')
    expect((await other.events(a.handshake.id, 0)).map((e) => e.type)).toEqual(['state', 'state'])
    expect(await other.events('no-such-handshake', 0)).toEqual([])
    await other.close()
  })

  it('keeps one unfinished handshake per secondary, also for a second connection to the file', async () => {
    const first = await store.createHandshake(record())
    expect(first.kind).toBe('created')
    const other = new SqliteStore(path)
    const second = await other.createHandshake(record())
    expect(second).toMatchObject({ kind: 'in_progress', handshake: { id: first.handshake.id } })
    await store.updateHandshake(first.handshake.id, { state: 'failed', finished_at: AT }, AT)
    expect((await other.createHandshake(record())).kind).toBe('created')
    await other.close()
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
    expect((await store.listHandshakes({ state: 'failed', limit: 10 })).map((h) => h.id)).toEqual([a.id])
    expect(await store.countByState()).toMatchObject({ pending: 1, failed: 1, running: 0 })
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

  it('flags a cancellation only while unfinished, and says when there is no such handshake', async () => {
    const { id } = (await store.createHandshake(record())).handshake
    expect(await store.cancelRequested(id)).toBe(false)
    expect((await store.requestCancel(id, AT))?.cancel_requested).toBe(true)
    expect(await store.cancelRequested(id)).toBe(true)
    expect(await store.requestCancel('nope', AT)).toBeUndefined()
    expect(await store.cancelRequested('nope')).toBe(false)
  })

  it('refuses to delete a cluster an unfinished handshake uses, or to change its role', async () => {
    await store.upsertCluster(secondary)
    const { id } = (await store.createHandshake(record())).handshake
    expect(await store.deleteCluster('dc2')).toBe('in_use')
    expect(await store.deleteCluster('nope')).toBe('not_found')
    expect(await store.upsertCluster({ ...secondary, role: 'primary' })).toEqual({ kind: 'in_use', handshake: id })
    expect((await store.getCluster('dc2'))?.role).toBe('secondary')
    expect((await store.upsertCluster({ ...secondary, agent_url: 'http://b:2' })).kind).toBe('replaced')
    await store.updateHandshake(id, { state: 'failed', finished_at: AT }, AT)
    expect((await store.upsertCluster({ ...secondary, role: 'primary' })).kind).toBe('replaced')
  })

  it('keeps one unfinished handshake per secondary id of a primary, down to a unique index', async () => {
    const first = await store.createHandshake(record({ secondary_id: 'shared' }))
    const other = { ...record({ secondary: 'dc3', secondary_id: 'shared' }), secondary: 'dc3' }
    expect(await store.createHandshake(other)).toMatchObject({
      kind: 'in_progress',
      handshake: { id: first.handshake.id },
    })
    const elsewhere = { ...record({ primary: 'dc4', secondary: 'dc3', secondary_id: 'shared' }), secondary: 'dc3' }
    expect((await store.createHandshake(elsewhere)).kind).toBe('created')
    // The index holds for any writer that skips the store's checks.
    const raw = new DatabaseSync(path)
    const insert = () =>
      raw
        .prepare(
          `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
             created_at, updated_at) VALUES ('x', 'pending', 'dc1', 'dc5', 'shared', '{}', '[]', '[]', ?, ?)`,
        )
        .run(AT, AT)
    expect(insert).toThrow(/UNIQUE constraint failed: handshakes.primary_name, handshakes.secondary_id/)
    raw.close()
  })

  it('keeps sealed agent tokens out of the file in clear', async () => {
    const box = new SecretBox('store-secret-0123456789')
    const token = 'agent-token-that-must-not-leak-42'
    const sealed = box.seal(token, 'dc2')
    const first = await store.upsertCluster({ ...secondary, agent_token_sealed: sealed })
    expect(first.kind).toBe('created')
    const again = await store.upsertCluster({ ...secondary, agent_url: 'http://b:2', agent_token_sealed: sealed })
    expect(again.kind).toBe('replaced')
    const stored = await store.getCluster('dc2')
    expect(stored?.agent_url).toBe('http://b:2')
    expect(box.open(stored?.agent_token_sealed ?? new Uint8Array(), 'dc2')).toBe(token)
    expect(box.open(stored?.agent_token_sealed ?? new Uint8Array(), 'dc1')).toBeUndefined()
    expect(new SecretBox('another-secret-0123456').open(sealed, 'dc2')).toBeUndefined()
    await store.close()
    expect(storeBytes(dir.dir)).not.toContain(token)
  })
})
