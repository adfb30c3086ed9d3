import { chmodSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { type CodedError, ConfigError, isCodedError } from '@vault-dr/core'
import { toSqliteStoreError } from './sqlite-errors.ts'

export type Row = Record<string, unknown>

/** The write failures readiness reports until a write commits again (a lock held too long passes by itself). */
const REFUSALS = new Set(['GATEWAY_ERR_STORE_FULL', 'GATEWAY_ERR_STORE_REFUSED'])

/**
 * One SQLite file through node:sqlite: created with its directories (owner-only), WAL mode with synchronous=FULL
 * (see the constructor), and write transactions that take the database lock first (BEGIN
 * IMMEDIATE), so processes sharing the file agree.
 */
export class SqliteDb {
  readonly #db: DatabaseSync
  /** Prepared once per SQL text: the gateway runs a handful of statements over and over. */
  readonly #statements = new Map<string, StatementSync>()
  readonly #pending: Array<{ fn: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> =
    []
  /** Why the last write failed for a reason the operator must fix (a full disk, a read-only file), until one commits. */
  #refusal: CodedError | undefined
  /** Bumped at each refusal: a transaction clears the refusal on commit only when none came during it. */
  #refusals = 0
  /** Rows the open transaction changed: only a commit that wrote something shows writes work again. */
  #txChanges = 0

  constructor(path: string) {
    const inMemory = path === ':memory:'
    if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    this.#db = new DatabaseSync(path)
    if (!inMemory) chmodSync(path, 0o600)
    // WAL with synchronous=FULL: a commit is on disk before the gateway acts on it, through a power loss too (a
    // demote's or promote's record rolled back would make a resumed run misread who changed a role). The group commit
    // below makes that one fsync per turn of the event loop, not one per write.
    const mode = this.#db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode
    if (!inMemory && mode !== 'wal') {
      this.#db.close()
      throw new ConfigError([
        `VAULT_DR_STORE: SQLite could not put ${path} in WAL mode (journal_mode ${String(mode)}): keep the store on a local filesystem the gateway can write`,
      ])
    }
    this.#db.exec('PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;')
    this.#db.exec('PRAGMA foreign_keys = ON;')
  }

  get isOpen(): boolean {
    return this.#db.isOpen
  }

  /** The full disk or read-only file the last write failed on, until a write of a row commits; undefined: none. */
  get writeRefusal(): CodedError | undefined {
    return this.#refusal
  }

  /** SQLite's error as the store's (toSqliteStoreError), remembered when it is a refusal of writes. */
  #storeError(err: unknown): unknown {
    const mapped = toSqliteStoreError(err)
    if (isCodedError(mapped) && REFUSALS.has(mapped.code)) {
      this.#refusal = mapped
      this.#refusals++
    }
    return mapped
  }

  exec(sql: string): void {
    this.#db.exec(sql)
  }

  /**
   * Group commit: every write asked for during one turn of the event loop runs in one transaction (each in its own
   * savepoint, so one failing write leaves the others), and each promise settles once that transaction committed.
   * Many handshakes at once then cost one commit per turn instead of one per write.
   */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#commitPending())
      this.#pending.push({ fn, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  #commitPending(): void {
    const batch = this.#pending.splice(0)
    if (batch.length === 0) return
    const settle: Array<() => void> = []
    try {
      this.tx(() => {
        for (const item of batch) {
          this.#db.exec('SAVEPOINT write')
          try {
            const value = item.fn()
            this.#db.exec('RELEASE write')
            settle.push(() => item.resolve(value))
          } catch (error) {
            // SQLite may have rolled the whole transaction back itself (a full disk, an I/O error): nothing to undo.
            if (!this.#db.isTransaction) throw error
            this.#db.exec('ROLLBACK TO write')
            this.#db.exec('RELEASE write')
            settle.push(() => item.reject(this.#storeError(error)))
          }
        }
      })
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    for (const done of settle) done()
  }

  /** One write transaction; SQLite's failures an operator can act on become the store's coded errors. */
  tx<T>(fn: () => T): T {
    try {
      this.#db.exec('BEGIN IMMEDIATE')
    } catch (err) {
      throw this.#storeError(err)
    }
    const refusalsBefore = this.#refusals
    this.#txChanges = 0
    try {
      const result = fn()
      this.#db.exec('COMMIT')
      if (this.#txChanges > 0 && this.#refusals === refusalsBefore) this.#refusal = undefined
      return result
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw this.#storeError(err)
    }
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    try {
      return this.#prepare(sql).get(...params) as Row | undefined
    } catch (err) {
      throw toSqliteStoreError(err)
    }
  }

  all(sql: string, ...params: SQLInputValue[]): Row[] {
    try {
      return this.#prepare(sql).all(...params) as Row[]
    } catch (err) {
      throw toSqliteStoreError(err)
    }
  }

  /** A statement: in a transaction, its error goes to tx(); alone (its own transaction), it is the store's error. */
  run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    if (this.#db.isTransaction) {
      const changes = Number(this.#prepare(sql).run(...params).changes)
      this.#txChanges += changes
      return { changes }
    }
    try {
      const changes = Number(this.#prepare(sql).run(...params).changes)
      if (changes > 0) this.#refusal = undefined
      return { changes }
    } catch (err) {
      throw this.#storeError(err)
    }
  }

  close(): void {
    if (this.#pending.length > 0 && this.#db.isOpen) this.#commitPending()
    this.#statements.clear()
    if (this.#db.isOpen) this.#db.close()
  }
}
