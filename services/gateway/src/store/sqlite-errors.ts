import { defineError } from '@vault-dr/core'

const sqliteFull = defineError({
  code: 'GATEWAY_ERR_STORE_FULL',
  status: 503,
  title: "The gateway's SQLite store cannot grow: the disk that holds it is full",
  fix:
    'Free space on the file system that holds VAULT_DR_STORE (the file and the -wal and -shm files beside it), or ' +
    'move the store to a larger one while the gateway is stopped. Reads still work; the write asked for was not made.',
})

const sqliteRefused = defineError({
  code: 'GATEWAY_ERR_STORE_REFUSED',
  status: 503,
  title: "The gateway's SQLite store refused the request",
  fix:
    "Read SQLite's reason in the detail: a read-only file or folder needs write access for the gateway's user on " +
    'VAULT_DR_STORE and its folder; a disk I/O error or a malformed database needs the disk checked and the store ' +
    'restored from a backup.',
})

const sqliteBusy = defineError({
  code: 'GATEWAY_ERR_STORE_UNAVAILABLE',
  status: 503,
  title: "The gateway's SQLite store stayed locked by another process",
  fix:
    'Another process held the write lock of VAULT_DR_STORE for more than 5 s: find it (fuser <file>). Gateways ' +
    'sharing the file on one host take it in turns; a backup or an editor keeping a transaction open must not.',
})

/** SQLite's primary result codes (the low byte of an extended one) the store answers as its own coded errors. */
const BY_RESULT_CODE = new Map([
  [13, sqliteFull], // SQLITE_FULL
  [8, sqliteRefused], // SQLITE_READONLY
  [10, sqliteRefused], // SQLITE_IOERR
  [11, sqliteRefused], // SQLITE_CORRUPT
  [14, sqliteRefused], // SQLITE_CANTOPEN
  [26, sqliteRefused], // SQLITE_NOTADB
  [5, sqliteBusy], // SQLITE_BUSY
  [6, sqliteBusy], // SQLITE_LOCKED
])

/**
 * A node:sqlite error the operator can act on (a full disk, a read-only or damaged file, a lock held too long) as the
 * store's coded error; anything else (a constraint, the store's own refusals) as it was.
 */
export function toSqliteStoreError(err: unknown): unknown {
  const { code, errcode } = (err ?? {}) as { code?: unknown; errcode?: unknown }
  if (code !== 'ERR_SQLITE_ERROR' || typeof errcode !== 'number') return err
  const make = BY_RESULT_CODE.get(errcode & 0xff)
  return make === undefined ? err : make(`SQLite: ${(err as Error).message}`, { cause: err })
}
