import type { SqliteDb } from './sqlite-db.ts'
import type { PairedSecondary } from './store.ts'

/**
 * Schema v7: the pairing a switchover or failover recorded per secondary (it reverses a pair without a handshake),
 * and a partial index that covers the lookup of each secondary's last succeeded handshake, so pairs are listed from
 * the index alone instead of a correlated scan of every handshake.
 */
export const PAIRINGS_SCHEMA = `
CREATE TABLE IF NOT EXISTS pairings (
  secondary_name TEXT PRIMARY KEY,
  primary_name TEXT NOT NULL,
  secondary_id TEXT NOT NULL,
  at TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS handshakes_succeeded_by_secondary
  ON handshakes (secondary_name, finished_at, primary_name, secondary_id) WHERE state = 'succeeded';
`

/** Writes a secondary's pairing unless a newer one is recorded: recording the same one again changes nothing. */
export function recordPairing(db: SqliteDb, p: PairedSecondary, at: string): void {
  db.run(
    `INSERT INTO pairings (secondary_name, primary_name, secondary_id, at) VALUES (?, ?, ?, ?)
     ON CONFLICT (secondary_name) DO UPDATE SET primary_name = excluded.primary_name,
       secondary_id = excluded.secondary_id, at = excluded.at
     WHERE excluded.at >= pairings.at`,
    p.secondary,
    p.primary,
    p.secondary_id,
    at,
  )
}

/**
 * Each secondary with the latest of its last succeeded handshake (by finished_at) and its recorded pairing (by at);
 * a tie goes to the pairing. The handshake side takes SQLite's documented bare-column rule: with MAX(), the other
 * columns come from the row that holds the maximum. INDEXED BY: the planner would search handshakes_by_state and sort,
 * where the partial index covers the lookup already in secondary order.
 */
export function pairedSecondaries(db: SqliteDb): PairedSecondary[] {
  return db
    .all(
      `SELECT secondary_name, primary_name, secondary_id FROM (
         SELECT secondary_name, primary_name, secondary_id,
           ROW_NUMBER() OVER (PARTITION BY secondary_name ORDER BY at DESC, source DESC) AS n
         FROM (
           SELECT secondary_name, primary_name, secondary_id, MAX(finished_at) AS at, 0 AS source
             FROM handshakes INDEXED BY handshakes_succeeded_by_secondary WHERE state = 'succeeded'
             GROUP BY secondary_name
           UNION ALL
           SELECT secondary_name, primary_name, secondary_id, at, 1 AS source FROM pairings
         )
       ) WHERE n = 1 ORDER BY secondary_name`,
    )
    .map((row) => ({
      secondary: String(row.secondary_name),
      primary: String(row.primary_name),
      secondary_id: String(row.secondary_id),
    }))
}
