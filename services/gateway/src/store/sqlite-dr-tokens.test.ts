import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { SCHEMA } from './sqlite-schema.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { StoredDrToken } from './store.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function storePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vault-dr-dr-tokens-'))
  dirs.push(dir)
  return join(dir, 'gw.sqlite')
}

const token = (issuedAt: string, sealed = 1): StoredDrToken => ({
  primary: 'dc1',
  token_sealed: Uint8Array.of(sealed, 2, 3),
  issued_at: issuedAt,
  expires_at: '2026-12-04T16:00:00.000Z',
  primary_cluster_id: 'c-1',
  previous_sealed: null,
  previous_expires_at: null,
  updated_at: issuedAt,
})

describe('DR operation tokens in the store', () => {
  it('opens a v4 file: adds the table, keeps its rows and says the current version (v7)', async () => {
    const path = storePath()
    const v4 = new DatabaseSync(path)
    v4.exec(SCHEMA)
    v4.exec('PRAGMA user_version = 4')
    v4.exec(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at, finished_at) VALUES ('h1', 'succeeded', 'dc1', 'dc2', 'dc2-id', '{}', '[]', '[]', 'x', 'x', 'y')`,
    )
    v4.close()
    const store = new SqliteStore(path)
    expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc1', secondary_id: 'dc2-id' }])
    expect(await store.listDrTokens()).toEqual([])
    await store.close()
    const db = new DatabaseSync(path)
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: 7 })
    db.close()
  })

  it('writes a token only over the one the writer read', async () => {
    const store = new SqliteStore(storePath())
    expect(await store.putDrToken(token('2026-12-04T08:00:00.000Z'), null)).toBe(true)
    expect(await store.putDrToken(token('2026-12-04T08:00:01.000Z'), null)).toBe(false)
    const next = { ...token('2026-12-04T12:00:00.000Z', 9), previous_sealed: Uint8Array.of(1, 2, 3) }
    expect(await store.putDrToken(next, '2026-12-04T08:00:00.000Z')).toBe(true)
    expect(await store.putDrToken(token('2026-12-04T12:00:01.000Z'), '2026-12-04T08:00:00.000Z')).toBe(false)
    const kept = await store.getDrToken('dc1')
    expect(kept?.issued_at).toBe('2026-12-04T12:00:00.000Z')
    expect([...(kept?.token_sealed ?? [])]).toEqual([9, 2, 3])
    expect([...(kept?.previous_sealed ?? [])]).toEqual([1, 2, 3])
    await store.close()
  })

  it("pairs each secondary with its last succeeded handshake's primary", async () => {
    const path = storePath()
    await new SqliteStore(path).close()
    const db = new DatabaseSync(path)
    const insert = db.prepare(
      `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks,
         created_at, updated_at, finished_at) VALUES (?, ?, ?, ?, ?, '{}', '[]', '[]', 'x', 'x', ?)`,
    )
    insert.run('h1', 'succeeded', 'dc1', 'dc2', 'dc2', '2026-12-01T00:00:00.000Z')
    insert.run('h2', 'succeeded', 'dc9', 'dc2', 'dc2-b', '2026-12-02T00:00:00.000Z')
    insert.run('h3', 'failed', 'dc1', 'dc2', 'dc2', '2026-12-03T00:00:00.000Z')
    insert.run('h4', 'failed', 'dc1', 'dc3', 'dc3', '2026-12-03T00:00:00.000Z')
    db.close()
    const store = new SqliteStore(path)
    expect(await store.pairedSecondaries()).toEqual([{ secondary: 'dc2', primary: 'dc9', secondary_id: 'dc2-b' }])
    await store.close()
  })
})
