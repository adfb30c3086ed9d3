import { type EventsToWrite, eventsToWrite } from './events-to-write.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { CLAIMABLE, META_UPSERT, UNFINISHED } from './sqlite-schema.ts'
import {
  type ClusterHolder,
  type CreateOperationOutcome,
  type EpochRaise,
  epochRaise,
  LeaseLost,
  type NewOperationEvent,
  type OperationEvent,
  type OperationKindName,
  type OperationPatch,
  type OperationQuery,
  type OperationRecord,
  type OperationState,
  unfinishedState,
  zeroOperationCounts,
} from './store.ts'
import type { UpdateOptions, UpdateOutcome } from './update-outcome.ts'

/**
 * Schema v6 adds the generic operation journal: `operations` (one row per switchover, drill, ... with its lease),
 * `operation_events`, and `operation_locks`, one row per cluster an unfinished operation holds (the primary key is
 * the last word should two writers race). The fencing epoch is the meta row `fencing_epoch`.
 */
export const OPERATIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  clusters TEXT NOT NULL,
  subject TEXT NOT NULL,
  data TEXT NOT NULL,
  steps TEXT NOT NULL,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  request_hash TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS operations_idempotency_key
  ON operations (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS operations_by_state ON operations (state, created_at);
CREATE INDEX IF NOT EXISTS operations_by_kind ON operations (kind, created_at);

CREATE TABLE IF NOT EXISTS operation_locks (
  cluster TEXT PRIMARY KEY,
  operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE
) STRICT;

CREATE TABLE IF NOT EXISTS operation_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS operation_events_by_operation ON operation_events (operation_id, seq);
`

type Row = Record<string, unknown>

const maybeText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

export function operationFromRow(row: Row): OperationRecord {
  return {
    id: String(row.id),
    kind: String(row.kind) as OperationKindName,
    state: String(row.state) as OperationState,
    clusters: JSON.parse(String(row.clusters)),
    subject: JSON.parse(String(row.subject)),
    data: JSON.parse(String(row.data)),
    steps: JSON.parse(String(row.steps)),
    error: row.error === null || row.error === undefined ? null : JSON.parse(String(row.error)),
    cancel_requested: Number(row.cancel_requested) === 1,
    idempotency_key: maybeText(row.idempotency_key),
    request_hash: maybeText(row.request_hash),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
    finished_at: maybeText(row.finished_at),
  }
}

function patchColumns(patch: OperationPatch): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (patch.state !== undefined) out.state = patch.state
  if (patch.steps !== undefined) out.steps = JSON.stringify(patch.steps)
  if (patch.data !== undefined) out.data = JSON.stringify(patch.data)
  if (patch.error !== undefined) out.error = patch.error === null ? null : JSON.stringify(patch.error)
  if (patch.finished_at !== undefined) out.finished_at = patch.finished_at
  return out
}

function insertEvent(db: SqliteDb, id: string, at: string, event: NewOperationEvent): void {
  db.run(
    'INSERT INTO operation_events (operation_id, at, type, data) VALUES (?, ?, ?, ?)',
    id,
    at,
    event.type,
    JSON.stringify(event.data),
  )
}

function get(db: SqliteDb, id: string): OperationRecord | undefined {
  const row = db.get('SELECT * FROM operations WHERE id = ?', id)
  return row === undefined ? undefined : operationFromRow(row)
}

/** What holds a cluster: an unfinished handshake naming it as primary or secondary, or an operation's lock. */
export function clusterHolder(db: SqliteDb, cluster: string): ClusterHolder | undefined {
  const handshake = db.get(
    `SELECT id, state FROM handshakes WHERE ${UNFINISHED} AND (primary_name = ?1 OR secondary_name = ?1)
     ORDER BY created_at, rowid LIMIT 1`,
    cluster,
  )
  if (handshake !== undefined) {
    return { kind: 'handshake', id: String(handshake.id), state: String(handshake.state) as OperationState }
  }
  return operationHolder(db, cluster)
}

/** The unfinished operation that holds a cluster, if any. */
export function operationHolder(db: SqliteDb, cluster: string): ClusterHolder | undefined {
  const op = db.get(
    'SELECT o.id, o.kind, o.state FROM operation_locks AS l JOIN operations AS o ON o.id = l.operation_id WHERE l.cluster = ?',
    cluster,
  )
  if (op === undefined) return undefined
  return { kind: String(op.kind) as OperationKindName, id: String(op.id), state: String(op.state) as OperationState }
}

/** The operation journal's calls, each one transaction of the group commit where it writes. */
export class SqliteOperations {
  readonly #db: SqliteDb

  constructor(db: SqliteDb) {
    this.#db = db
  }

  create(op: OperationRecord): Promise<CreateOperationOutcome> {
    const db = this.#db
    return db.write(() => {
      if (op.idempotency_key !== null) {
        const row = db.get('SELECT * FROM operations WHERE idempotency_key = ?', op.idempotency_key)
        if (row !== undefined) {
          const existing = operationFromRow(row)
          return { kind: existing.request_hash === op.request_hash ? 'replayed' : 'key_conflict', operation: existing }
        }
      }
      const clusters = [...new Set(op.clusters)]
      for (const cluster of clusters) {
        const holder = clusterHolder(db, cluster)
        if (holder !== undefined) return { kind: 'cluster_busy', cluster, holder }
      }
      db.run(
        `INSERT INTO operations (id, kind, state, clusters, subject, data, steps, error, cancel_requested,
           idempotency_key, request_hash, created_at, updated_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?, NULL)`,
        op.id,
        op.kind,
        op.state,
        JSON.stringify(op.clusters),
        JSON.stringify(op.subject),
        JSON.stringify(op.data),
        JSON.stringify(op.steps),
        op.idempotency_key,
        op.request_hash,
        op.created_at,
        op.updated_at,
      )
      if (op.state === 'pending' || op.state === 'running') {
        for (const cluster of clusters) {
          db.run('INSERT INTO operation_locks (cluster, operation_id) VALUES (?, ?)', cluster, op.id)
        }
      }
      insertEvent(db, op.id, op.created_at, { type: 'state', data: { state: op.state } })
      return { kind: 'created', operation: get(db, op.id) as OperationRecord }
    })
  }

  async byIdempotencyKey(key: string) {
    const row = this.#db.get('SELECT * FROM operations WHERE idempotency_key = ?', key)
    return row === undefined ? undefined : operationFromRow(row)
  }

  async get(id: string) {
    return get(this.#db, id)
  }

  async list({ kind, state, cluster, limit }: OperationQuery) {
    const where: string[] = []
    const params: string[] = []
    if (kind !== undefined) {
      where.push('kind = ?')
      params.push(kind)
    }
    if (state !== undefined) {
      where.push('state = ?')
      params.push(state)
    }
    if (cluster !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(operations.clusters) WHERE value = ?)')
      params.push(cluster)
    }
    const sql = `SELECT * FROM operations ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY created_at DESC, rowid DESC LIMIT ?`
    return this.#db.all(sql, ...params, limit).map(operationFromRow)
  }

  update(
    id: string,
    patch: OperationPatch,
    at: string,
    events?: EventsToWrite<NewOperationEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ) {
    const db = this.#db
    return db.write((): UpdateOutcome => {
      // Only its state is needed here: the record is not read whole (and parsed) for every step boundary.
      const current = db.get('SELECT state, cancel_requested, lease_owner FROM operations WHERE id = ?', id)
      if (current === undefined) throw new Error(`no operation ${id} to update`)
      if (opts?.unlessCancelled && current.cancel_requested) {
        // The lease first, as the write's own fence would: a run that lost it learns so, not of the cancellation.
        const unfinished = unfinishedState(String(current.state) as OperationRecord['state'])
        if (owner !== undefined && (current.lease_owner !== owner || !unfinished)) throw new LeaseLost(id, 'operation')
        return { cancel_requested: true, skipped: true }
      }
      const before = String(current.state) as OperationRecord['state']
      const columns = { ...patchColumns(patch), updated_at: at }
      const sets = Object.keys(columns)
        .map((name) => `${name} = ?`)
        .join(', ')
      const fence = owner === undefined ? '' : ` AND lease_owner = ? AND ${UNFINISHED}`
      const row = db.get(
        `UPDATE operations SET ${sets} WHERE id = ?${fence} RETURNING cancel_requested, state`,
        ...Object.values(columns),
        id,
        ...(owner === undefined ? [] : [owner]),
      )
      if (row === undefined) throw new LeaseLost(id, 'operation')
      const unfinished = String(row.state) === 'pending' || String(row.state) === 'running'
      if (unfinishedState(before) && !unfinished) {
        db.run('DELETE FROM operation_locks WHERE operation_id = ?', id)
      }
      // Its locks are gone once it finished: a finished operation never holds clusters again.
      if (!unfinishedState(before) && unfinished) throw new Error(`operation ${id} has finished already`)
      for (const event of eventsToWrite(events)) insertEvent(db, id, at, event)
      return { cancel_requested: Boolean(row.cancel_requested) }
    })
  }

  requestCancel(id: string, at: string) {
    const db = this.#db
    return db.write(() => {
      db.run(`UPDATE operations SET cancel_requested = 1, updated_at = ? WHERE id = ? AND ${UNFINISHED}`, at, id)
      return get(db, id)
    })
  }

  async cancelRequested(id: string) {
    return Boolean(this.#db.get('SELECT cancel_requested FROM operations WHERE id = ?', id)?.cancel_requested)
  }

  async resumable(owner: string, now: number, ownName?: string) {
    return this.#db
      .all(
        `SELECT * FROM operations WHERE ${UNFINISHED} AND ${CLAIMABLE} ORDER BY created_at, rowid`,
        owner,
        now,
        ownName ?? null,
      )
      .map(operationFromRow)
  }

  claim(id: string, owner: string, now: number, until: number, ownName?: string) {
    return this.#db.write(
      () =>
        this.#db.run(
          `UPDATE operations SET lease_owner = ?4, lease_until = ?5 WHERE id = ?6 AND ${UNFINISHED} AND ${CLAIMABLE}`,
          owner,
          now,
          ownName ?? null,
          owner,
          until,
          id,
        ).changes === 1,
    )
  }

  renew(id: string, owner: string, until: number) {
    return this.#db.write(
      () =>
        this.#db.run(
          `UPDATE operations SET lease_until = ? WHERE id = ? AND lease_owner = ? AND ${UNFINISHED}`,
          until,
          id,
          owner,
        ).changes === 1,
    )
  }

  async release(id: string, owner: string) {
    await this.#db.write(() =>
      this.#db.run(
        'UPDATE operations SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
        id,
        owner,
      ),
    )
  }

  async events(id: string, afterSeq: number): Promise<OperationEvent[]> {
    return this.#db
      .all('SELECT * FROM operation_events WHERE operation_id = ? AND seq > ? ORDER BY seq', id, afterSeq)
      .map((row) => ({
        seq: Number(row.seq),
        operation_id: String(row.operation_id),
        at: String(row.at),
        type: String(row.type) as OperationEvent['type'],
        data: JSON.parse(String(row.data)),
      }))
  }

  async count() {
    const counts = zeroOperationCounts()
    for (const row of this.#db.all('SELECT kind, state, COUNT(*) AS n FROM operations GROUP BY kind, state')) {
      const ofKind = counts[String(row.kind) as OperationKindName]
      if (ofKind !== undefined) ofKind[String(row.state) as OperationState] = Number(row.n)
    }
    return counts
  }

  async currentEpoch() {
    return Number(this.#db.get("SELECT value FROM meta WHERE key = 'fencing_epoch'")?.value ?? 0)
  }

  bumpEpoch() {
    return this.#db.write(() => {
      const row = this.#db.get(
        `INSERT INTO meta (key, value) VALUES ('fencing_epoch', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) RETURNING value`,
      )
      // A role change ends the run of raises: a caller's epoch from before it is stale, whatever raised it.
      this.#db.run("DELETE FROM meta WHERE key = 'fencing_epoch_raised_from'")
      return Number(row?.value)
    })
  }

  raiseEpoch(from: number, above: number) {
    return this.#db.write((): EpochRaise | undefined => {
      const epoch = Number(this.#db.get("SELECT value FROM meta WHERE key = 'fencing_epoch'")?.value ?? 0)
      const raisedFrom = this.#db.get("SELECT value FROM meta WHERE key = 'fencing_epoch_raised_from'")?.value
      const raise = epochRaise(
        { epoch, ...(raisedFrom === undefined ? {} : { raised_from: Number(raisedFrom) }) },
        from,
        above,
      )
      if (raise?.raised) {
        this.#db.run(META_UPSERT, 'fencing_epoch', String(raise.epoch))
        this.#db.run(META_UPSERT, 'fencing_epoch_raised_from', String(raisedFrom ?? epoch))
      }
      return raise
    })
  }
}
