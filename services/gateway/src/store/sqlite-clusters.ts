import type { SqliteDb } from './sqlite-db.ts'
import { UNFINISHED } from './sqlite-schema.ts'
import type { StoredCluster, UpsertOutcome } from './store.ts'

const IN_USE = `SELECT id FROM handshakes WHERE ${UNFINISHED} AND (primary_name = ? OR secondary_name = ?)`

/** The id of an unfinished handshake that uses the cluster, if any. Call inside a transaction. */
function usedBy(db: SqliteDb, name: string): string | undefined {
  const row = db.get(IN_USE, name, name)
  return row === undefined ? undefined : String(row.id)
}

/**
 * Registers or replaces a cluster in one transaction. While an unfinished handshake uses it, only its agent URL and
 * token may change: a new role would break the handshake when it resumes.
 */
export function upsertCluster(db: SqliteDb, c: StoredCluster): UpsertOutcome {
  return db.tx(() => {
    const existing = db.get('SELECT role, created_at FROM clusters WHERE name = ?', c.name)
    if (existing !== undefined && String(existing.role) !== c.role) {
      const handshake = usedBy(db, c.name)
      if (handshake !== undefined) return { kind: 'in_use', handshake }
    }
    const createdAt = existing === undefined ? c.created_at : String(existing.created_at)
    db.run(
      `INSERT INTO clusters (name, role, agent_url, agent_token_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET role = excluded.role, agent_url = excluded.agent_url,
         agent_token_sealed = excluded.agent_token_sealed, updated_at = excluded.updated_at`,
      c.name,
      c.role,
      c.agent_url,
      c.agent_token_sealed,
      createdAt,
      c.updated_at,
    )
    return { kind: existing === undefined ? 'created' : 'replaced', cluster: { ...c, created_at: createdAt } }
  })
}

/** Deletes a cluster no unfinished handshake uses. */
export function deleteCluster(db: SqliteDb, name: string): 'deleted' | 'not_found' | 'in_use' {
  return db.tx(() => {
    if (usedBy(db, name) !== undefined) return 'in_use'
    return db.run('DELETE FROM clusters WHERE name = ?', name).changes === 1 ? 'deleted' : 'not_found'
  })
}
