import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { operationRecord } from '../../test/helpers/store-contract.ts'
import { SqliteDb } from './sqlite-db.ts'
import { DR_TOKENS_SCHEMA } from './sqlite-dr-tokens.ts'
import { OPERATIONS_SCHEMA } from './sqlite-operations.ts'
import { SCHEMA, SCHEMA_VERSION } from './sqlite-schema.ts'
import { SqliteStore } from './sqlite-store.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('opening a store written by an older gateway', () => {
  it('adds the columns it lacks (v2: no mint_requested_at) and keeps its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    const v2 = new DatabaseSync(path)
    v2.exec(SCHEMA.replace('  mint_requested_at TEXT,\n', ''))
    v2.exec('PRAGMA user_version = 2')
    v2.exec(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at) VALUES ('h1', 'failed', 'dc1', 'dc2', 'dc2', '{}', '[]', '[]', 'x', 'x')`,
    )
    v2.close()

    const store = new SqliteStore(path)
    expect((await store.getHandshake('h1'))?.mint_requested_at).toBeNull()
    expect(await store.secondaryIdHistory('dc1', 'dc2', '')).toEqual({ minted: false, activated: false })
    await store.updateHandshake('h1', { mint_requested_at: '2026-11-29T00:00:00.000Z' }, 'y')
    expect(await store.secondaryIdHistory('dc1', 'dc2', '')).toEqual({ minted: true, activated: false })
    expect(await store.secondaryIdHistory('dc1', 'dc2', 'h1')).toEqual({ minted: false, activated: false })
    await store.close()
  })

  it('reads the options of a handshake stored before primary_cluster_addr and primary_api_addr as none asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    const older = new SqliteStore(path)
    await older.close()
    const db = new DatabaseSync(path)
    const options = { token_ttl: '5m', inspect: true, skip_checks: ['api_tls'], allow_repoint: false }
    db.prepare(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at) VALUES ('h1', 'succeeded', 'dc1', 'dc2', 'dc2', ?, '[]', '[]', 'x', 'x')`,
    ).run(JSON.stringify(options))
    db.close()

    const store = new SqliteStore(path)
    expect((await store.getHandshake('h1'))?.options).toEqual({
      ...options,
      primary_cluster_addr: null,
      primary_api_addr: null,
    })
    await store.close()
  })

  it('opens a v5 file: adds the operation journal, keeps its handshakes, which hold their clusters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    const v5 = new DatabaseSync(path)
    v5.exec(SCHEMA)
    v5.exec(DR_TOKENS_SCHEMA)
    v5.exec('PRAGMA user_version = 5')
    v5.exec(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at) VALUES ('h1', 'running', 'dc1', 'dc2', 'dc2', '{}', '[]', '[]', 'x', 'x')`,
    )
    v5.close()

    const store = new SqliteStore(path)
    expect((await store.getHandshake('h1'))?.state).toBe('running')
    const op = operationRecord({ id: 'o1', kind: 'switchover', clusters: ['dc2'], created_at: 'y' })
    expect(await store.createOperation(op)).toEqual({
      kind: 'cluster_busy',
      cluster: 'dc2',
      holder: { kind: 'handshake', id: 'h1', state: 'running' },
    })
    expect(await store.createOperation({ ...op, clusters: ['dc3'] })).toEqual({
      kind: 'created',
      operation: { ...op, clusters: ['dc3'] },
    })
    expect(await store.bumpEpoch()).toBe(1)
    await store.close()
    const raw = new DatabaseSync(path, { readOnly: true })
    try {
      expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: 7 })
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['operations', 'operation_events', 'operation_locks']),
      )
    } finally {
      raw.close()
    }
  })

  it('opens a v6 file as v7: adds the pairings table and the succeeded-handshake index, keeps its pairs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    const v6 = new DatabaseSync(path)
    v6.exec(SCHEMA)
    v6.exec(DR_TOKENS_SCHEMA)
    v6.exec(OPERATIONS_SCHEMA)
    v6.exec('PRAGMA user_version = 6')
    const insert = v6.prepare(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at, finished_at) VALUES (?, 'succeeded', 'dc1', ?, ?, '{}', '[]', '[]', 'x', 'x', ?)`,
    )
    insert.run('h1', 'dc2', 'dc2-a', '2026-12-01T00:00:00.000Z')
    insert.run('h2', 'dc2', 'dc2-b', '2026-12-02T00:00:00.000Z')
    insert.run('h3', 'dc3', 'dc3-a', '2026-12-01T00:00:00.000Z')
    v6.close()

    const store = new SqliteStore(path)
    expect(await store.pairedSecondaries()).toEqual([
      { secondary: 'dc2', primary: 'dc1', secondary_id: 'dc2-b' },
      { secondary: 'dc3', primary: 'dc1', secondary_id: 'dc3-a' },
    ])
    await store.recordPairing({ secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1-a' }, '2026-12-03T00:00:00.000Z')
    expect((await store.pairedSecondaries()).map((p) => p.secondary)).toEqual(['dc1', 'dc2', 'dc3'])
    await store.close()
    const raw = new DatabaseSync(path, { readOnly: true })
    try {
      expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: 7 })
      const names = raw.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").all()
      expect(names.map((n) => n.name)).toEqual(
        expect.arrayContaining(['pairings', 'handshakes_succeeded_by_secondary']),
      )
    } finally {
      raw.close()
    }
  })
})

describe('opening a store written by a newer gateway', () => {
  it('refuses it, naming both schema versions, and changes nothing in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    await new SqliteStore(path).close()
    const newer = new DatabaseSync(path)
    newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    newer.close()

    expect(() => new SqliteStore(path)).toThrow(
      expect.objectContaining({
        code: 'CORE_ERR_CONFIG',
        message: expect.stringContaining(`store schema ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION}`),
      }),
    )
    const after = new DatabaseSync(path)
    expect(after.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION + 1 })
    after.close()
  })

  it('keeps its commits on disk before answering: WAL mode with synchronous FULL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-migration-'))
    dirs.push(dir)
    const path = join(dir, 'gw.sqlite')
    const db = new SqliteDb(path)
    // synchronous is the connection's own: 2 is FULL (an fsync at each commit), 1 NORMAL (none before a checkpoint).
    expect(db.get('PRAGMA synchronous')).toEqual({ synchronous: 2 })
    expect(db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' })
    db.close()
  })
})
