import { ConfigError } from '@vault-dr/core'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'
import { type EventsToWrite, eventsToWrite } from './events-to-write.ts'
import { deleteCluster, setClusterRole, upsertCluster } from './sqlite-clusters.ts'
import { SqliteDb } from './sqlite-db.ts'
import {
  DR_TOKENS_SCHEMA,
  deleteCeremonyToken,
  getCeremonyToken,
  getDrToken,
  listDrTokens,
  putCeremonyToken,
  putDrToken,
} from './sqlite-dr-tokens.ts'
import { OPERATIONS_SCHEMA, operationHolder, SqliteOperations } from './sqlite-operations.ts'
import { PAIRINGS_SCHEMA, pairedSecondaries, recordPairing } from './sqlite-pairings.ts'
import {
  ADDED_COLUMNS,
  CLAIMABLE,
  clusterFromRow,
  eventFromRow,
  handshakeFromRow,
  insertEvent,
  insertHandshake,
  META_UPSERT,
  patchColumns,
  SCHEMA,
  SCHEMA_VERSION,
  UNFINISHED,
} from './sqlite-schema.ts'
import {
  type CreateOutcome,
  type HandshakeRecord,
  LeaseLost,
  type NewEvent,
  type OperationLease,
  type OperationQuery,
  type OperationRecord,
  type PairedSecondary,
  type Store,
  type StoredCeremonyToken,
  type StoredCluster,
  type StoredDrToken,
} from './store.ts'
import type { UpdateOptions, UpdateOutcome } from './update-outcome.ts'

/** How often readiness tries a write while writes are known to fail. */
const PROBE_EVERY_MS = 5_000

/**
 * The Store in one SQLite file (node:sqlite), in WAL mode: a transition is committed before the gateway acts on it.
 * Handshake writes are group-committed (all those of one event-loop turn in one transaction); writes take the
 * database lock first (BEGIN IMMEDIATE), so gateways sharing the file agree.
 */
export class SqliteStore implements Store {
  readonly #db: SqliteDb
  readonly #operations: SqliteOperations
  #probedAt = Number.NEGATIVE_INFINITY

  constructor(path: string) {
    this.#db = new SqliteDb(path)
    this.#operations = new SqliteOperations(this.#db)
    try {
      this.#migrate(path)
    } catch (err) {
      this.#db.close()
      throw err
    }
  }

  /** Creates or upgrades the schema in one transaction; refuses a file a newer gateway wrote. */
  #migrate(path: string) {
    this.#db.tx(() => {
      const found = Number(this.#db.get('PRAGMA user_version')?.user_version ?? 0)
      if (found > SCHEMA_VERSION) {
        throw new ConfigError([
          `VAULT_DR_STORE: ${path} holds the records of a newer gateway (store schema ${found}; this one knows up to ${SCHEMA_VERSION}), which it would misread: run that version, or restore a copy of the store made before the upgrade`,
        ])
      }
      this.#db.exec(SCHEMA)
      this.#db.exec(DR_TOKENS_SCHEMA)
      this.#db.exec(OPERATIONS_SCHEMA)
      this.#db.exec(PAIRINGS_SCHEMA)
      for (const [table, column, definition] of ADDED_COLUMNS) {
        const present = this.#db.all(`PRAGMA table_info(${table})`).some((c) => c.name === column)
        if (!present) this.#db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`)
      }
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    })
  }

  #handshake(id: string): HandshakeRecord | undefined {
    const row = this.#db.get('SELECT * FROM handshakes WHERE id = ?', id)
    return row === undefined ? undefined : handshakeFromRow(row)
  }

  async ping() {
    this.#db.get('SELECT 1 AS ok')
  }

  /**
   * The full disk or read-only file the last write failed on; while there is one, a call tries a small write, so
   * readiness turns green once the operator freed space or gave access back, with no other write needed.
   */
  async refusesWrites() {
    if (this.#db.writeRefusal === undefined) return undefined
    // At most one try per PROBE_EVERY_MS: /readyz is polled, and each try is a commit (an fsync, or a wait on a lock).
    if (performance.now() - this.#probedAt < PROBE_EVERY_MS) return this.#db.writeRefusal
    this.#probedAt = performance.now()
    try {
      this.#db.tx(() => this.#db.run(META_UPSERT, 'write_probe', new Date().toISOString()))
    } catch {
      // Still refused: the refusal stays, from this try.
    }
    return this.#db.writeRefusal
  }

  async close() {
    this.#db.close()
  }

  async getMeta(key: string) {
    const row = this.#db.get('SELECT value FROM meta WHERE key = ?', key)
    return row === undefined ? undefined : String(row.value)
  }

  async metaUnder(prefix: string) {
    const rows = this.#db.all(
      'SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key',
      prefix.length,
      prefix,
    )
    return new Map(rows.map((row) => [String(row.key), String(row.value)]))
  }

  async setMeta(key: string, value: string) {
    this.#db.run(META_UPSERT, key, value)
  }

  async replaceMetaIf(key: string, expected: string | undefined, value: string | null, lease?: OperationLease) {
    return this.#db.write(() => {
      this.#holdsLease(lease)
      return this.#replaceMeta(key, expected, value)
    })
  }

  /** Inside a write transaction: LeaseLost unless `lease.owner` holds the unfinished operation (none: no check). */
  #holdsLease(lease: OperationLease | undefined): void {
    if (lease === undefined) return
    const held = this.#db.get(
      `SELECT 1 FROM operations WHERE id = ? AND lease_owner = ? AND ${UNFINISHED}`,
      lease.operation,
      lease.owner,
    )
    if (held === undefined) throw new LeaseLost(lease.operation, 'operation')
  }

  #replaceMeta(key: string, expected: string | undefined, value: string | null): boolean {
    if (expected === undefined) {
      if (value === null) return this.#db.get('SELECT 1 FROM meta WHERE key = ?', key) === undefined
      return (
        this.#db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, value).changes ===
        1
      )
    }
    const changed =
      value === null
        ? this.#db.run('DELETE FROM meta WHERE key = ? AND value = ?', key, expected)
        : this.#db.run('UPDATE meta SET value = ? WHERE key = ? AND value = ?', value, key, expected)
    return changed.changes === 1
  }

  async upsertCluster(c: StoredCluster) {
    return upsertCluster(this.#db, c)
  }

  async getCluster(name: string) {
    const row = this.#db.get('SELECT * FROM clusters WHERE name = ?', name)
    return row === undefined ? undefined : clusterFromRow(row)
  }

  async listClusters() {
    return this.#db.all('SELECT * FROM clusters ORDER BY name').map(clusterFromRow)
  }

  async deleteCluster(name: string) {
    return deleteCluster(this.#db, name)
  }

  async setClusterRole(name: string, role: ClusterRole, at: string, lease?: OperationLease) {
    await this.#db.write(() => {
      this.#holdsLease(lease)
      setClusterRole(this.#db, name, role, at)
    })
  }

  async createHandshake(h: HandshakeRecord): Promise<CreateOutcome> {
    return this.#db.write(() => {
      if (h.idempotency_key !== null) {
        const row = this.#db.get('SELECT * FROM handshakes WHERE idempotency_key = ?', h.idempotency_key)
        if (row !== undefined) {
          const existing = handshakeFromRow(row)
          return { kind: existing.request_hash === h.request_hash ? 'replayed' : 'key_conflict', handshake: existing }
        }
      }
      const active = this.#db.get(
        `SELECT * FROM handshakes WHERE ${UNFINISHED} AND (secondary_name = ? OR (primary_name = ? AND secondary_id = ?))`,
        h.secondary,
        h.primary,
        h.secondary_id,
      )
      if (active !== undefined) return { kind: 'in_progress', handshake: handshakeFromRow(active) }
      if (h.state === 'pending' || h.state === 'running') {
        for (const cluster of [h.primary, h.secondary]) {
          const holder = operationHolder(this.#db, cluster)
          if (holder !== undefined) return { kind: 'cluster_busy', cluster, holder }
        }
      }
      // The unique indexes stay the last word, should another writer slip past the reads above.
      insertHandshake(this.#db, h)
      insertEvent(this.#db, h.id, h.created_at, { type: 'state', data: { state: h.state } })
      return { kind: 'created', handshake: this.#handshake(h.id) as HandshakeRecord }
    })
  }

  async handshakeByIdempotencyKey(key: string) {
    const row = this.#db.get('SELECT * FROM handshakes WHERE idempotency_key = ?', key)
    return row === undefined ? undefined : handshakeFromRow(row)
  }

  async getHandshake(id: string) {
    return this.#handshake(id)
  }

  async secondaryIdHistory(primary: string, secondaryId: string, exceptHandshake: string) {
    const row = this.#db.get(
      `SELECT
         EXISTS (
           SELECT 1 FROM handshakes
           WHERE primary_name = ?1 AND secondary_id = ?2 AND id != ?3 AND mint_requested_at IS NOT NULL
         ) AS minted,
         EXISTS (
           SELECT 1 FROM handshakes AS h, json_each(h.steps) AS step
           WHERE h.primary_name = ?1 AND h.secondary_id = ?2 AND h.id != ?3
             AND step.value ->> '$.name' = 'activate_secondary' AND step.value ->> '$.status' = 'succeeded'
         ) AS activated`,
      primary,
      secondaryId,
      exceptHandshake,
    )
    return { minted: Boolean(row?.minted), activated: Boolean(row?.activated) }
  }

  async cancelRequested(id: string) {
    return Boolean(this.#db.get('SELECT cancel_requested FROM handshakes WHERE id = ?', id)?.cancel_requested)
  }

  async listHandshakes({ state, limit }: { state?: HandshakeState | undefined; limit: number }) {
    const rows =
      state === undefined
        ? this.#db.all('SELECT * FROM handshakes ORDER BY created_at DESC, rowid DESC LIMIT ?', limit)
        : this.#db.all(
            'SELECT * FROM handshakes WHERE state = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
            state,
            limit,
          )
    return rows.map(handshakeFromRow)
  }

  async pendingRevocations() {
    return this.#db
      .all(`SELECT * FROM handshakes WHERE revoke_pending = 1 AND NOT ${UNFINISHED} ORDER BY finished_at, rowid`)
      .map(handshakeFromRow)
  }

  async resumable(owner: string, now: number, ownName?: string) {
    return this.#db
      .all(
        `SELECT * FROM handshakes WHERE ${UNFINISHED} AND ${CLAIMABLE} ORDER BY created_at, rowid`,
        owner,
        now,
        ownName ?? null,
      )
      .map(handshakeFromRow)
  }

  async updateHandshake(
    id: string,
    patch: Parameters<Store['updateHandshake']>[1],
    at: string,
    events?: EventsToWrite<NewEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ) {
    return this.#db.write((): UpdateOutcome => {
      if (opts?.unlessCancelled) {
        const row = this.#db.get('SELECT cancel_requested, lease_owner, state FROM handshakes WHERE id = ?', id)
        if (row?.cancel_requested) {
          // The lease first, as the write's own fence would: a run that lost it learns so, not of the cancellation.
          const unfinished = row.state === 'pending' || row.state === 'running'
          if (owner !== undefined && (row.lease_owner !== owner || !unfinished)) throw new LeaseLost(id)
          return { cancel_requested: true, skipped: true }
        }
      }
      const columns = { ...patchColumns(patch), updated_at: at }
      const names = Object.keys(columns)
      const sets = names.map((name) => `${name} = ?`).join(', ')
      const fence = owner === undefined ? '' : ` AND lease_owner = ? AND ${UNFINISHED}`
      const row = this.#db.get(
        `UPDATE handshakes SET ${sets} WHERE id = ?${fence} RETURNING cancel_requested`,
        ...Object.values(columns),
        id,
        ...(owner === undefined ? [] : [owner]),
      )
      if (row === undefined && owner !== undefined && this.#handshake(id) !== undefined) throw new LeaseLost(id)
      if (row === undefined) throw new Error(`no handshake ${id} to update`)
      for (const event of eventsToWrite(events)) insertEvent(this.#db, id, at, event)
      return { cancel_requested: Boolean(row.cancel_requested) }
    })
  }

  async requestCancel(id: string, at: string) {
    return this.#db.write(() => {
      this.#db.run(`UPDATE handshakes SET cancel_requested = 1, updated_at = ? WHERE id = ? AND ${UNFINISHED}`, at, id)
      return this.#handshake(id)
    })
  }

  async countByState() {
    const counts: Record<HandshakeState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
    for (const row of this.#db.all('SELECT state, COUNT(*) AS n FROM handshakes GROUP BY state')) {
      counts[String(row.state) as HandshakeState] = Number(row.n)
    }
    return counts
  }

  async claim(id: string, owner: string, now: number, until: number, ownName?: string) {
    return this.#db.write(() => this.#claim(id, owner, now, until, ownName))
  }

  #claim(id: string, owner: string, now: number, until: number, ownName?: string): boolean {
    const result = this.#db.run(
      `UPDATE handshakes SET lease_owner = ?4, lease_until = ?5 WHERE id = ?6 AND ${UNFINISHED} AND ${CLAIMABLE}`,
      owner,
      now,
      ownName ?? null,
      owner,
      until,
      id,
    )
    return result.changes === 1
  }

  async renew(id: string, owner: string, until: number) {
    return this.#db.write(
      () =>
        this.#db.run(
          `UPDATE handshakes SET lease_until = ? WHERE id = ? AND lease_owner = ? AND ${UNFINISHED}`,
          until,
          id,
          owner,
        ).changes === 1,
    )
  }

  async release(id: string, owner: string) {
    await this.#db.write(() =>
      this.#db.run(
        'UPDATE handshakes SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
        id,
        owner,
      ),
    )
  }

  async events(id: string, afterSeq: number) {
    return this.#db
      .all('SELECT * FROM handshake_events WHERE handshake_id = ? AND seq > ? ORDER BY seq', id, afterSeq)
      .map(eventFromRow)
  }

  async pairedSecondaries() {
    return pairedSecondaries(this.#db)
  }

  async recordPairing(p: PairedSecondary, at: string, lease?: OperationLease) {
    await this.#db.write(() => {
      this.#holdsLease(lease)
      recordPairing(this.#db, p, at)
    })
  }

  async getDrToken(primary: string) {
    return getDrToken(this.#db, primary)
  }

  async listDrTokens() {
    return listDrTokens(this.#db)
  }

  async putDrToken(token: StoredDrToken, replaces: string | null) {
    return putDrToken(this.#db, token, replaces)
  }

  async getCeremonyToken(secondary: string) {
    return getCeremonyToken(this.#db, secondary)
  }

  async putCeremonyToken(token: StoredCeremonyToken) {
    putCeremonyToken(this.#db, token)
  }

  async deleteCeremonyToken(secondary: string, madeAt: string) {
    return deleteCeremonyToken(this.#db, secondary, madeAt)
  }

  async createOperation(op: OperationRecord) {
    return this.#operations.create(op)
  }

  async operationByIdempotencyKey(key: string) {
    return this.#operations.byIdempotencyKey(key)
  }

  async getOperation(id: string) {
    return this.#operations.get(id)
  }

  async operationHolding(cluster: string) {
    return operationHolder(this.#db, cluster)
  }

  async listOperations(query: OperationQuery) {
    return this.#operations.list(query)
  }

  async updateOperation(...args: Parameters<Store['updateOperation']>) {
    return this.#operations.update(...args)
  }

  async requestCancelOperation(id: string, at: string) {
    return this.#operations.requestCancel(id, at)
  }

  async operationCancelRequested(id: string) {
    return this.#operations.cancelRequested(id)
  }

  async resumableOperations(owner: string, now: number, ownName?: string) {
    return this.#operations.resumable(owner, now, ownName)
  }

  async claimOperation(id: string, owner: string, now: number, until: number, ownName?: string) {
    return this.#operations.claim(id, owner, now, until, ownName)
  }

  async renewOperation(id: string, owner: string, until: number) {
    return this.#operations.renew(id, owner, until)
  }

  async releaseOperation(id: string, owner: string) {
    return this.#operations.release(id, owner)
  }

  async operationEvents(id: string, afterSeq: number) {
    return this.#operations.events(id, afterSeq)
  }

  async countOperations() {
    return this.#operations.count()
  }

  async currentEpoch() {
    return this.#operations.currentEpoch()
  }

  async bumpEpoch() {
    return this.#operations.bumpEpoch()
  }

  async raiseEpoch(from: number, above: number) {
    return this.#operations.raiseEpoch(from, above)
  }
}
