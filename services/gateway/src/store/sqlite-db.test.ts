import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { isCodedError } from '@vault-dr/core'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/gateway.ts'
import { SqliteDb } from './sqlite-db.ts'

const dirs: Array<{ cleanup: () => void }> = []
const dbs: Array<{ close: () => void }> = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
  for (const dir of dirs.splice(0)) dir.cleanup()
})

function openDb(): { db: SqliteDb; path: string } {
  const dir = tempDir()
  dirs.push(dir)
  const path = join(dir.dir, 'gateway.sqlite')
  const db = new SqliteDb(path)
  dbs.push(db)
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)')
  return { db, path }
}

const put = (db: SqliteDb, k: string, bytes: number) =>
  db.write(() => db.run('INSERT INTO kv (k, v) VALUES (?, ?)', k, new Uint8Array(bytes)))

describe("SqliteDb: SQLite's failures an operator can act on are the store's coded errors", () => {
  it('a full disk is GATEWAY_ERR_STORE_FULL (503), remembered until a write commits again', async () => {
    const { db } = openDb()
    await put(db, 'small', 10)
    const pages = Number(db.get('PRAGMA page_count')?.page_count)
    // The database may not grow past two more pages: as a disk with no space left.
    db.exec(`PRAGMA max_page_count = ${pages + 2}`)
    const full = await put(db, 'big', 1_000_000).catch((err: unknown) => err)
    expect(isCodedError(full, 'GATEWAY_ERR_STORE_FULL'), String(full)).toBe(true)
    expect(full).toMatchObject({ statusCode: 503, message: expect.stringContaining('full') })
    // Readiness says why until a write commits again; one that fits, in the same turn, does not count (SQLite may
    // also roll the whole transaction back on a full disk, taking it with the big one).
    expect(db.writeRefusal?.code).toBe('GATEWAY_ERR_STORE_FULL')
    const [tooBig] = await Promise.allSettled([put(db, 'big', 1_000_000), put(db, 'tiny', 1)])
    expect(tooBig).toMatchObject({ status: 'rejected', reason: { code: 'GATEWAY_ERR_STORE_FULL' } })
    expect(db.writeRefusal?.code).toBe('GATEWAY_ERR_STORE_FULL')
    // A commit that changed no row shows nothing about space.
    db.run('DELETE FROM kv WHERE k = ?', 'no such key')
    await db.write(() => db.run('DELETE FROM kv WHERE k = ?', 'no such key either'))
    expect(db.writeRefusal?.code).toBe('GATEWAY_ERR_STORE_FULL')
    db.run('DELETE FROM kv WHERE k = ?', 'tiny')
    await put(db, 'fits', 10)
    expect(db.writeRefusal).toBeUndefined()
    expect(db.all('SELECT k FROM kv ORDER BY k').map((r) => r.k)).toEqual(['fits', 'small'])
    // A statement run on its own (its own transaction) is answered and remembered the same.
    expect(() => db.run('INSERT INTO kv (k, v) VALUES (?, ?)', 'alone', new Uint8Array(1_000_000))).toThrow(
      expect.objectContaining({ code: 'GATEWAY_ERR_STORE_FULL' }),
    )
    expect(db.writeRefusal?.code).toBe('GATEWAY_ERR_STORE_FULL')
    db.run('DELETE FROM kv WHERE k = ?', 'fits')
    expect(db.writeRefusal).toBeUndefined()
  })

  it('a store that may not be written is GATEWAY_ERR_STORE_REFUSED (503), naming the reason', async () => {
    const { db } = openDb()
    db.exec('PRAGMA query_only = ON')
    const refused = await put(db, 'k', 10).catch((err: unknown) => err)
    expect(isCodedError(refused, 'GATEWAY_ERR_STORE_REFUSED'), String(refused)).toBe(true)
    expect(refused).toMatchObject({ statusCode: 503, message: expect.stringContaining('readonly') })
    expect(db.writeRefusal?.code).toBe('GATEWAY_ERR_STORE_REFUSED')
  })

  it('a lock another process keeps past the busy timeout is GATEWAY_ERR_STORE_UNAVAILABLE (503)', async () => {
    const { db, path } = openDb()
    db.exec('PRAGMA busy_timeout = 50')
    const other = new DatabaseSync(path)
    dbs.push(other)
    other.exec('BEGIN IMMEDIATE')
    const busy = await put(db, 'k', 10).catch((err: unknown) => err)
    expect(isCodedError(busy, 'GATEWAY_ERR_STORE_UNAVAILABLE'), String(busy)).toBe(true)
    // A lock passes by itself: not a refusal readiness reports.
    expect(db.writeRefusal).toBeUndefined()
    other.exec('ROLLBACK')
    await put(db, 'k', 10)
    expect(db.all('SELECT k FROM kv').map((r) => r.k)).toEqual(['k'])
  })

  it('a write the data refuses (a constraint) is left as it was, and the others of its turn commit', async () => {
    const { db } = openDb()
    await put(db, 'k', 1)
    const [again, other] = await Promise.allSettled([put(db, 'k', 1), put(db, 'other', 1)])
    expect(again.status).toBe('rejected')
    expect(isCodedError((again as PromiseRejectedResult).reason)).toBe(false)
    expect((again as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_SQLITE_ERROR' })
    expect(other.status).toBe('fulfilled')
  })
})
