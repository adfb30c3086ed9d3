import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { clusterHolder } from './sqlite-operations.ts'
import type { StoredCluster, UpsertOutcome } from './store.ts'

/**
 * Registers or replaces a cluster in one transaction. While an unfinished handshake or operation holds it, only its agent URL and
 * token may change: a new role would break the handshake when it resumes.
 */
export function upsertCluster(db: SqliteDb, c: StoredCluster): UpsertOutcome {
  return db.tx(() => {
    const existing = db.get('SELECT role, created_at FROM clusters WHERE name = ?', c.name)
    if (existing !== undefined && String(existing.role) !== c.role) {
      const holder = clusterHolder(db, c.name)
      if (holder?.kind === 'handshake') return { kind: 'in_use', handshake: holder.id }
      if (holder !== undefined) return { kind: 'in_use', handshake: holder.id, holder }
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

/** Deletes a cluster no unfinished handshake or operation holds. */
export function deleteCluster(db: SqliteDb, name: string): 'deleted' | 'not_found' | 'in_use' {
  return db.tx(() => {
    if (clusterHolder(db, name) !== undefined) return 'in_use'
    return db.run('DELETE FROM clusters WHERE name = ?', name).changes === 1 ? 'deleted' : 'not_found'
  })
}

/** Records a cluster's role as Vault reports it, whoever holds the cluster (its holder is the one that writes it). */
export function setClusterRole(db: SqliteDb, name: string, role: ClusterRole, at: string): void {
  db.run('UPDATE clusters SET role = ?, updated_at = ? WHERE name = ?', role, at, name)
}
