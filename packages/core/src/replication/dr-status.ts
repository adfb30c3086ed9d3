import { z } from 'zod'

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return null
}
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

export const DrPeer = z
  .object({
    node_id: z.string().nullable().describe('The secondary id (on a primary); null for primaries'),
    api_address: z.string().nullable(),
    cluster_address: z.string().nullable(),
    connection_status: z.string().nullable().describe('connected or disconnected'),
    last_heartbeat: z.string().nullable(),
    heartbeat_age_s: z.number().nullable().describe('Seconds since the last heartbeat, when Vault reports one'),
  })
  .meta({ id: 'DrPeer' })
export type DrPeer = z.infer<typeof DrPeer>

/** DR replication state in a stable shape of ours: every field present, null where this Vault version lacks it. */
export const DrReplicationStatus = z
  .object({
    mode: z.enum(['primary', 'secondary', 'bootstrapping', 'disabled', 'unknown']),
    reported_mode: z
      .string()
      .optional()
      .describe(
        'Only when mode is unknown: the mode exactly as Vault reported it, e.g. "unsupported" (the storage backend or ' +
          'the licence does not support DR replication)',
      ),
    state: z.string().nullable().describe('running (primary); stream-wals, merkle-diff, merkle-sync, idle (secondary)'),
    cluster_id: z.string().nullable().describe('The replication set id, equal on primary and secondaries'),
    merkle_root: z.string().nullable(),
    last_wal: z.number().nullable().describe('Primary: the last WAL index written'),
    known_secondaries: z.array(z.string()),
    secondaries: z.array(DrPeer),
    primary_cluster_addr: z.string().nullable(),
    connection_state: z.string().nullable().describe('Secondary: ready, connecting, idle, transient_failure, shutdown'),
    primaries: z.array(DrPeer),
    known_primary_cluster_addrs: z.array(z.string()),
    last_remote_wal: z.number().nullable().describe('Secondary: the last WAL index received from the primary'),
    secondary_id: z.string().nullable(),
    corrupted_merkle_tree: z
      .boolean()
      .nullable()
      .optional()
      .describe('Whether Vault reports its merkle tree corrupted; null when this Vault version does not say'),
  })
  .meta({ id: 'DrReplicationStatus' })
export type DrReplicationStatus = z.infer<typeof DrReplicationStatus>

const MODES = new Set(['primary', 'secondary', 'bootstrapping', 'disabled'])

function parsePeer(raw: unknown, now: number): DrPeer {
  const p = (raw ?? {}) as Record<string, unknown>
  const last = str(p.last_heartbeat)
  const lastMs = last === null ? Number.NaN : Date.parse(last)
  return {
    node_id: str(p.node_id),
    api_address: str(p.api_address),
    cluster_address: str(p.cluster_address),
    connection_status: str(p.connection_status),
    last_heartbeat: last,
    heartbeat_age_s: Number.isNaN(lastMs) ? null : Math.max(0, Math.round((now - lastMs) / 100) / 10),
  }
}

/** Reads `sys/replication/dr/status` data from any Vault version, tolerating added or missing fields. */
export function parseDrStatus(data: unknown, now = Date.now()): DrReplicationStatus {
  const d = (data ?? {}) as Record<string, unknown>
  const mode = str(d.mode)
  const known = mode !== null && MODES.has(mode)
  return {
    mode: known ? (mode as DrReplicationStatus['mode']) : 'unknown',
    // A mode we do not know is kept as Vault said it: "unsupported" means no DR on this storage or licence at all.
    ...(known || mode === null || mode === '' ? {} : { reported_mode: mode.slice(0, 64) }),
    state: str(d.state),
    cluster_id: str(d.cluster_id),
    merkle_root: str(d.merkle_root),
    last_wal: num(d.last_wal) ?? num(d.last_dr_wal),
    known_secondaries: strings(d.known_secondaries),
    secondaries: Array.isArray(d.secondaries) ? d.secondaries.map((s) => parsePeer(s, now)) : [],
    primary_cluster_addr: str(d.primary_cluster_addr) || null,
    connection_state: str(d.connection_state)?.replace('-', '_') ?? null,
    primaries: Array.isArray(d.primaries) ? d.primaries.map((p) => parsePeer(p, now)) : [],
    known_primary_cluster_addrs: strings(d.known_primary_cluster_addrs),
    last_remote_wal: num(d.last_remote_wal),
    secondary_id: str(d.secondary_id),
    corrupted_merkle_tree: typeof d.corrupted_merkle_tree === 'boolean' ? d.corrupted_merkle_tree : null,
  }
}
