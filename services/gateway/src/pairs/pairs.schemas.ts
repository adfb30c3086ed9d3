import { DrSiteRaft } from '@vault-dr/core'
import { z } from 'zod'
import { ClusterName } from '../clusters/clusters.schemas.ts'

export const PairParams = z.object({ secondary: ClusterName.describe("The pair's secondary cluster, as registered") })

const AgentError = z.object({ code: z.string(), detail: z.string() })

export const PairCluster = z
  .object({
    name: z.string(),
    agent_reachable: z.boolean(),
    error: AgentError.nullable().describe('Why the agent gave no status'),
    vault_reachable: z.boolean().nullable(),
    sealed: z.boolean().nullable(),
    version: z.string().nullable(),
    ha_role: z.string().nullable(),
    mode: z.string().nullable().describe('DR mode: primary, secondary...'),
    state: z.string().nullable(),
    replication_cluster_id: z.string().nullable(),
    checked_at: z.iso.datetime().nullable().describe("When the agent read its Vault's status"),
    fence_on_isolation_ms: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe(
        "The agent's VAULT_DR_FENCE_ON_ISOLATION in ms (it demotes its own primary when cut off that long): a " +
          'failover waits until such a primary has demoted itself. null: off; absent: unknown (the agent gave no ' +
          'status, or predates the field)',
      ),
  })
  .meta({ id: 'PairCluster' })

export const DrTokenView = z
  .object({
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    rotate_at: z.iso.datetime().describe('When vault-dr issues the next one (half its TTL)'),
    remaining_s: z.number(),
    previous_expires_at: z.iso
      .datetime()
      .nullable()
      .describe('The token it replaced, still valid until then (the overlap)'),
    primary_cluster_id: z.string().nullable(),
  })
  .meta({ id: 'DrOperationTokenInfo' })

export const AutoFailoverView = z
  .object({
    enabled: z.boolean(),
    down_for: z.string(),
    last_fired_at: z.iso.datetime().nullable().describe('When a gateway last started an automatic failover of it'),
    blocked_until: z.iso
      .datetime()
      .nullable()
      .describe(
        'Until when no automatic failover of it may start: a failover of it started less than VAULT_DR_AUTO_FAILOVER_BLOCK ago',
      ),
  })
  .meta({ id: 'PairAutoFailover' })
export type AutoFailoverView = z.infer<typeof AutoFailoverView>

export const Pair = z
  .object({
    secondary: z.string(),
    primary: z.string(),
    secondary_id: z.string(),
    clusters: z.object({ primary: PairCluster, secondary: PairCluster }),
    connection_state: z.string().nullable().describe("The secondary's connection_state (ready when streaming)"),
    primary_sees_secondary: z
      .string()
      .nullable()
      .describe("The primary's connection_status for this secondary id (connected, disconnected)"),
    lag: z.object({
      wals: z.number().nullable().describe("The primary's last_wal minus the secondary's last_remote_wal"),
      primary_last_wal: z.number().nullable(),
      secondary_last_remote_wal: z.number().nullable(),
      age_s: z.number().nullable().describe('Age of the older of the two status reads compared'),
    }),
    heartbeat_age_s: z.number().nullable().describe("Seconds since the secondary's last heartbeat from the primary"),
    merkle_corrupted: z
      .boolean()
      .nullable()
      .describe("The secondary's corrupted_merkle_tree; null: its Vault does not report it"),
    versions: z.object({ primary: z.string().nullable(), secondary: z.string().nullable() }),
    dr_operation_token: DrTokenView.nullable().describe("The primary's DR operation token, never the token itself"),
    dr_ceremony_token: z
      .object({ created_at: z.iso.datetime() })
      .nullable()
      .describe("The token of the secondary's last key-share ceremony (no TTL), never the token itself"),
    checked_at: z.iso.datetime(),
    auto_failover: AutoFailoverView.nullable()
      .optional()
      .describe('Automatic failover of this pair (setPairAutoFailover); off unless set'),
    held_by: z
      .object({ id: z.string(), kind: z.string(), state: z.string() })
      .nullable()
      .optional()
      .describe(
        'The unfinished operation that holds a cluster of the pair (getOperation): until it ends the roles shown may change by themselves (a drill switches back after its hold), and no other role change or DR operation token is made on it',
      ),
  })
  .meta({ id: 'Pair' })
export type Pair = z.infer<typeof Pair>

export const PairList = z.object({ pairs: z.array(Pair) }).meta({ id: 'PairList' })

export const ReadinessQuery = z
  .object({
    max_lag_wals: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .default(100)
      .describe('The most WALs the secondary may be behind for lag to pass'),
  })
  .strict()

export const PairCheck = z
  .object({
    id: z.enum(['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7']).describe('The check of the failover runbook it implements'),
    name: z.string(),
    status: z.enum(['pass', 'warn', 'fail']),
    code: z.string(),
    detail: z.string(),
    fix: z.string().nullable(),
  })
  .meta({ id: 'PairCheck' })
export type PairCheck = z.infer<typeof PairCheck>

export const PairReadiness = z
  .object({
    secondary: z.string(),
    primary: z.string(),
    ready: z.boolean().describe('No check failed'),
    checks: z.array(PairCheck),
    pair: Pair,
  })
  .meta({ id: 'PairReadiness' })
export type PairReadiness = z.infer<typeof PairReadiness>

export const TokenCheckView = z
  .object({
    outcome: z.enum(['valid', 'invalid', 'inconclusive', 'error']),
    code: z.string(),
    detail: z.string(),
    fix: z.string().nullable(),
    raft: DrSiteRaft.nullable().describe(
      "The DR site's raft cluster as the same call (autopilot state) reported it; null when not known",
    ),
  })
  .meta({ id: 'DrOperationTokenCheckView' })
export type TokenCheckView = z.infer<typeof TokenCheckView>

export const RotateResult = z
  .object({
    secondary: z.string(),
    primary: z.string(),
    token: DrTokenView,
    check: TokenCheckView.describe('The new token checked on the secondary'),
  })
  .meta({ id: 'DrOperationTokenRotation' })
