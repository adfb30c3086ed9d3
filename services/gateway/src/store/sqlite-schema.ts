import type { SqliteDb } from './sqlite-db.ts'
import type { HandshakeEvent, HandshakeRecord, NewEvent, StoredCluster } from './store.ts'

export const SCHEMA_VERSION = 7

/** SQL condition: the handshake (or operation) is pending or running. */
/** Sets a meta key to a value (the two parameters, in that order), whether it exists or not. */
export const META_UPSERT =
  'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
export const UNFINISHED = "state IN ('pending', 'running')"

/**
 * SQL condition, parameters ?1 owner, ?2 now, ?3 own gateway name or NULL: the lease is free, this owner's, ran out,
 * or (with a name) held by an earlier process of the gateway of that name ("<name>/<instance>", or the bare name that
 * gateways before instance ids wrote).
 */
export const CLAIMABLE = `(lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?2
  OR (?3 IS NOT NULL AND (lease_owner = ?3 OR substr(lease_owner, 1, length(?3) + 1) = ?3 || '/')))`

/**
 * Schema v7: v6 plus the pairings table and the succeeded-handshake index (sqlite-pairings.ts), created when missing.
 * Schema v6: v5 plus the operation journal (sqlite-operations.ts), created when missing. Schema v5: v4 plus the dr_operation_tokens table (sqlite-dr-tokens.ts), created when missing. Schema v4: v3 plus
 * handshakes.activation (the last activation sent, JSON) and handshakes.revoke_pending; v3 was v2 plus
 * handshakes.mint_requested_at (ADDED_COLUMNS adds both to an older file); v2 was v1 plus the
 * secondary-id index, which opening a v1 file adds. Secrets never enter it: agent tokens are
 * sealed before they reach the store, activation tokens never do. Partial unique indexes keep one unfinished
 * handshake per secondary and one per secondary id of a primary, whichever gateway writes.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE IF NOT EXISTS clusters (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),
  agent_url TEXT NOT NULL,
  agent_token_sealed BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS handshakes (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  primary_name TEXT NOT NULL,
  secondary_name TEXT NOT NULL,
  secondary_id TEXT NOT NULL,
  options TEXT NOT NULL,
  steps TEXT NOT NULL,
  checks TEXT NOT NULL,
  token TEXT,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  recheck_cluster INTEGER NOT NULL DEFAULT 0,
  mint_requested_at TEXT,
  activation TEXT,
  revoke_pending INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  request_hash TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;

CREATE UNIQUE INDEX IF NOT EXISTS handshakes_one_unfinished_per_secondary
  ON handshakes (secondary_name) WHERE state IN ('pending', 'running');
CREATE UNIQUE INDEX IF NOT EXISTS handshakes_one_unfinished_per_secondary_id
  ON handshakes (primary_name, secondary_id) WHERE state IN ('pending', 'running');
CREATE UNIQUE INDEX IF NOT EXISTS handshakes_idempotency_key
  ON handshakes (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS handshakes_by_state ON handshakes (state, created_at);

CREATE TABLE IF NOT EXISTS handshake_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  handshake_id TEXT NOT NULL REFERENCES handshakes (id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS handshakes_by_secondary_id ON handshakes (primary_name, secondary_id);
CREATE INDEX IF NOT EXISTS handshake_events_by_handshake ON handshake_events (handshake_id, seq);
`

/** Columns added after v2, for files created before them: [table, column, definition]. */
export const ADDED_COLUMNS: Array<[string, string, string]> = [
  ['handshakes', 'mint_requested_at', 'TEXT'],
  ['handshakes', 'activation', 'TEXT'],
  ['handshakes', 'revoke_pending', 'INTEGER NOT NULL DEFAULT 0'],
]

type Row = Record<string, unknown>

const text = (v: unknown): string => String(v)
const json = <T>(v: unknown): T => JSON.parse(String(v)) as T
const maybeJson = <T>(v: unknown): T | null => (v === null || v === undefined ? null : json<T>(v))
const maybeText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

export function clusterFromRow(row: Row): StoredCluster {
  return {
    name: text(row.name),
    role: text(row.role) as StoredCluster['role'],
    agent_url: text(row.agent_url),
    agent_token_sealed: new Uint8Array(row.agent_token_sealed as Uint8Array),
    created_at: text(row.created_at),
    updated_at: text(row.updated_at),
  }
}

type Options = HandshakeRecord['options']

type AddedOptions = 'primary_cluster_addr' | 'primary_api_addr'

/** Handshakes stored before primary_cluster_addr and primary_api_addr existed read with none asked for. */
function withOptionDefaults(stored: Omit<Options, AddedOptions> & Partial<Options>): Options {
  return {
    ...stored,
    primary_cluster_addr: stored.primary_cluster_addr ?? null,
    primary_api_addr: stored.primary_api_addr ?? null,
  }
}

export function handshakeFromRow(row: Row): HandshakeRecord {
  return {
    id: text(row.id),
    state: text(row.state) as HandshakeRecord['state'],
    primary: text(row.primary_name),
    secondary: text(row.secondary_name),
    secondary_id: text(row.secondary_id),
    options: withOptionDefaults(json(row.options)),
    steps: json(row.steps),
    checks: json(row.checks),
    token: maybeJson(row.token),
    error: maybeJson(row.error),
    cancel_requested: Number(row.cancel_requested) === 1,
    recheck_cluster: Number(row.recheck_cluster) === 1,
    mint_requested_at: maybeText(row.mint_requested_at),
    activation: maybeJson(row.activation),
    revoke_pending: Number(row.revoke_pending) === 1,
    idempotency_key: maybeText(row.idempotency_key),
    request_hash: maybeText(row.request_hash),
    created_at: text(row.created_at),
    updated_at: text(row.updated_at),
    finished_at: maybeText(row.finished_at),
  }
}

export function eventFromRow(row: Row): HandshakeEvent {
  return {
    seq: Number(row.seq),
    handshake_id: text(row.handshake_id),
    at: text(row.at),
    type: text(row.type) as HandshakeEvent['type'],
    data: json(row.data),
  }
}

/** Column values of a handshake patch; JSON columns serialised. */
export function patchColumns(patch: Partial<HandshakeRecord>): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {}
  if (patch.state !== undefined) out.state = patch.state
  if (patch.steps !== undefined) out.steps = JSON.stringify(patch.steps)
  if (patch.checks !== undefined) out.checks = JSON.stringify(patch.checks)
  if (patch.token !== undefined) out.token = patch.token === null ? null : JSON.stringify(patch.token)
  if (patch.error !== undefined) out.error = patch.error === null ? null : JSON.stringify(patch.error)
  if (patch.recheck_cluster !== undefined) out.recheck_cluster = patch.recheck_cluster ? 1 : 0
  if (patch.finished_at !== undefined) out.finished_at = patch.finished_at
  if (patch.mint_requested_at !== undefined) out.mint_requested_at = patch.mint_requested_at
  if (patch.revoke_pending !== undefined) out.revoke_pending = patch.revoke_pending ? 1 : 0
  if (patch.activation !== undefined) {
    out.activation = patch.activation === null ? null : JSON.stringify(patch.activation)
  }
  return out
}

/** Writes a new handshake's row (no token, error, cancellation or lease yet). Call inside a transaction. */
export function insertHandshake(db: SqliteDb, h: HandshakeRecord): void {
  db.run(
    `INSERT INTO handshakes (id, state, primary_name, secondary_name, secondary_id, options, steps, checks, token,
       error, cancel_requested, recheck_cluster, idempotency_key, request_hash, created_at, updated_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0, ?, ?, ?, ?, NULL)`,
    h.id,
    h.state,
    h.primary,
    h.secondary,
    h.secondary_id,
    JSON.stringify(h.options),
    JSON.stringify(h.steps),
    JSON.stringify(h.checks),
    h.idempotency_key,
    h.request_hash,
    h.created_at,
    h.updated_at,
  )
}

/** Appends one event of a handshake, for event streams. Call inside the transaction that wrote the transition. */
export function insertEvent(db: SqliteDb, id: string, at: string, event: NewEvent): void {
  db.run(
    'INSERT INTO handshake_events (handshake_id, at, type, data) VALUES (?, ?, ?, ?)',
    id,
    at,
    event.type,
    JSON.stringify(event.data),
  )
}
