import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeStateFile } from '../state-file.ts'

export const ISOLATION_FILE = 'isolation'

/** When a gateway's quorum contact last reached the agent, and since when its cluster looks cut off (null: it does not). */
export interface IsolationClocks {
  lastContactAt: number
  isolatedSince: number | null
}

/**
 * How long a restarted agent gives the gateways to reach it again before a silence kept from before its restart
 * counts: two keeping-in-touch rounds, at most half the duration. The failover's wait includes it (selfFenceWithinMs).
 */
export const restartGraceMs = (durationMs: number) => Math.min(6_000, durationMs / 2)

/**
 * The self-fencing clocks as kept in `<dir>/isolation` before a restart, else fresh (contact now, not isolated): an
 * agent restarted while its site is cut off would otherwise count the whole duration again from its start, unseen by
 * the gateways whose failover waits for it to fence itself. Neither is restored later than `start`, nor earlier than
 * `start` less the duration plus a grace (two keeping-in-touch rounds, at most half the duration): an agent down for
 * long gives the gateways that grace to reach it before it fences. A file that cannot be read is taken as none.
 */
export function restoreIsolationClocks(dir: string, start: number, durationMs: number): IsolationClocks {
  const kept = readClocks(join(dir, ISOLATION_FILE))
  if (kept === undefined) return { lastContactAt: start, isolatedSince: null }
  const earliest = start - durationMs + restartGraceMs(durationMs)
  const bound = (at: number) => Math.min(start, Math.max(at, earliest))
  return {
    lastContactAt: bound(kept.lastContactAt),
    isolatedSince: kept.isolatedSince === null ? null : bound(kept.isolatedSince),
  }
}

/** Keeps the clocks for a restart (fsync, rename). */
export async function keepIsolationClocks(dir: string, clocks: IsolationClocks): Promise<void> {
  const text = JSON.stringify({ last_contact_at: clocks.lastContactAt, isolated_since: clocks.isolatedSince })
  await writeStateFile(dir, ISOLATION_FILE, `${text}\n`)
}

function readClocks(file: string): IsolationClocks | undefined {
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { last_contact_at?: unknown; isolated_since?: unknown }
    const contact = kept.last_contact_at
    const since = kept.isolated_since
    if (typeof contact !== 'number' || !(since === null || typeof since === 'number')) return undefined
    return { lastContactAt: contact, isolatedSince: since }
  } catch {
    return undefined
  }
}
