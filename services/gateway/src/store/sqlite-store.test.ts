import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeBytes, tempDir } from '../../test/helpers/gateway.ts'
import { AT, record, storeContract } from '../../test/helpers/store-contract.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { CreateOutcome } from './store.ts'

/** The handshake a create made or named: these tests never meet a busy cluster. */
async function made(outcome: Promise<CreateOutcome>) {
  const o = await outcome
  if (o.kind === 'cluster_busy') throw new Error(`cluster ${o.cluster} is busy`)
  return o
}

storeContract('SqliteStore', async () => {
  const dir = tempDir()
  const path = join(dir.dir, 'nested', 'gateway.sqlite')
  const store = new SqliteStore(path)
  return {
    store,
    another: () => new SqliteStore(path),
    bytes: async () => storeBytes(dir.dir),
    cleanup: async () => {
      await store.close()
      dir.cleanup()
    },
  }
})

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
    const a = await made(store.createHandshake(record({ secondary: 'dc2' })))
    const b = await made(store.createHandshake(record({ secondary: 'dc3', secondary_id: 'dc3' })))
    const outcomes = await Promise.allSettled([
      store.updateHandshake(a.handshake.id, { state: 'running' }, AT, { type: 'state', data: { state: 'running' } }),
      store.updateHandshake('no-such-handshake', { state: 'running' }, AT, { type: 'state', data: {} }),
      store.updateHandshake(b.handshake.id, { state: 'failed', finished_at: AT }, AT),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    // One transaction for the turn, each write in its savepoint: the failed one rolled back its event alone.
    const raw = new DatabaseSync(path, { readOnly: true })
    try {
      expect(raw.prepare('SELECT COUNT(*) AS n FROM handshake_events').get()).toEqual({ n: 3 })
    } finally {
      raw.close()
    }
  })

  it('keeps one unfinished handshake per secondary id of a primary down to a unique index', async () => {
    await store.createHandshake(record({ secondary_id: 'shared' }))
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
})
