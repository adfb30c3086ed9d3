import type { SqliteDb } from './sqlite-db.ts'
import type { StoredCeremonyToken, StoredDrToken } from './store.ts'

/**
 * Schema v5: the DR operation tokens vault-dr keeps, sealed like agent tokens: one batch token per primary, and the
 * token of the last key-share ceremony per secondary (no TTL).
 */
export const DR_TOKENS_SCHEMA = `
CREATE TABLE IF NOT EXISTS dr_operation_tokens (
  primary_name TEXT PRIMARY KEY,
  token_sealed BLOB NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  primary_cluster_id TEXT,
  previous_sealed BLOB,
  previous_expires_at TEXT,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS dr_ceremony_tokens (
  secondary_name TEXT PRIMARY KEY,
  token_sealed BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`

type Row = Record<string, unknown>

const blob = (v: unknown): Uint8Array | null => (v === null || v === undefined ? null : new Uint8Array(v as Uint8Array))
const maybeText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

function drTokenFromRow(row: Row): StoredDrToken {
  return {
    primary: String(row.primary_name),
    token_sealed: new Uint8Array(row.token_sealed as Uint8Array),
    issued_at: String(row.issued_at),
    expires_at: String(row.expires_at),
    primary_cluster_id: maybeText(row.primary_cluster_id),
    previous_sealed: blob(row.previous_sealed),
    previous_expires_at: maybeText(row.previous_expires_at),
    updated_at: String(row.updated_at),
  }
}

export function getDrToken(db: SqliteDb, primary: string): StoredDrToken | undefined {
  const row = db.get('SELECT * FROM dr_operation_tokens WHERE primary_name = ?', primary)
  return row === undefined ? undefined : drTokenFromRow(row)
}

export function listDrTokens(db: SqliteDb): StoredDrToken[] {
  return db.all('SELECT * FROM dr_operation_tokens ORDER BY primary_name').map(drTokenFromRow)
}

/**
 * Writes a primary's token only if the one stored is still the one the writer read (`replaces`: its issued_at, or
 * null for none): two gateways rotating at once keep one token, not a mix. False when another wrote first.
 */
export function putDrToken(db: SqliteDb, token: StoredDrToken, replaces: string | null): boolean {
  return db.tx(() => {
    const current = db.get('SELECT issued_at FROM dr_operation_tokens WHERE primary_name = ?', token.primary)
    const currentIssued = current === undefined ? null : String(current.issued_at)
    if (currentIssued !== replaces) return false
    db.run(
      `INSERT INTO dr_operation_tokens (primary_name, token_sealed, issued_at, expires_at, primary_cluster_id,
         previous_sealed, previous_expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (primary_name) DO UPDATE SET token_sealed = excluded.token_sealed, issued_at = excluded.issued_at,
         expires_at = excluded.expires_at, primary_cluster_id = excluded.primary_cluster_id,
         previous_sealed = excluded.previous_sealed, previous_expires_at = excluded.previous_expires_at,
         updated_at = excluded.updated_at`,
      token.primary,
      token.token_sealed,
      token.issued_at,
      token.expires_at,
      token.primary_cluster_id,
      token.previous_sealed,
      token.previous_expires_at,
      token.updated_at,
    )
    return true
  })
}

export function getCeremonyToken(db: SqliteDb, secondary: string): StoredCeremonyToken | undefined {
  const row = db.get('SELECT * FROM dr_ceremony_tokens WHERE secondary_name = ?', secondary)
  if (row === undefined) return undefined
  return {
    secondary: String(row.secondary_name),
    token_sealed: new Uint8Array(row.token_sealed as Uint8Array),
    created_at: String(row.created_at),
  }
}

export function deleteCeremonyToken(db: SqliteDb, secondary: string, madeAt: string): boolean {
  return (
    db.run('DELETE FROM dr_ceremony_tokens WHERE secondary_name = ? AND created_at = ?', secondary, madeAt).changes > 0
  )
}

export function putCeremonyToken(db: SqliteDb, token: StoredCeremonyToken): void {
  db.run(
    `INSERT INTO dr_ceremony_tokens (secondary_name, token_sealed, created_at) VALUES (?, ?, ?)
     ON CONFLICT (secondary_name) DO UPDATE SET token_sealed = excluded.token_sealed, created_at = excluded.created_at`,
    token.secondary,
    token.token_sealed,
    token.created_at,
  )
}
