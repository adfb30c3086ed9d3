import type { FastifyBaseLogger } from 'fastify'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { ClusterAgentClient } from '../agents/cluster-agent-client.ts'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { Leg } from './leg.ts'

export interface RoleChangeSettings {
  /** How long the promoted-to-be secondary may take to receive everything the demoted primary wrote. */
  catchUpTimeoutMs: number
  /** How long a cluster may take to serve in its new role (writes accepted, a pair streaming). */
  settleTimeoutMs: number
  pollMs: number
  /** TTL of the activation tokens minted for followers (used at once, in memory only). */
  activationTtl: string
}

/** The agent operations a role change uses, on whichever side of the pair a cluster is now. */
export type RoleChangeClient = Pick<
  ClusterAgentClient,
  | 'status'
  | 'demote'
  | 'promote'
  | 'updatePrimary'
  | 'generatePublicKey'
  | 'mintToken'
  | 'revoke'
  | 'checkWrites'
  | 'checkMerkle'
>

/** What the shared role-change steps need from the operation running them; switchover and drill build it. */
export interface RoleChangeContext {
  operationId: string
  /** Whether the leg was written (the undo leg exists once an undo began). */
  hasLeg(key: LegKey): boolean
  /** The leg as last written. */
  leg(key: LegKey): Leg
  /** Writes part of a leg before the step goes on (write before act); the undo leg is made on its first write. */
  saveLeg(key: LegKey, patch: Partial<Leg>): Promise<void>
  /** A note in the operation's warnings (and event stream); never a secret. */
  warn(text: string): Promise<void>
  client(cluster: string): RoleChangeClient
  /**
   * The status of `cluster` this run read (or a change it made answered with) in the last moment, with no change sent
   * since (recent-statuses.ts); else read now. For a decision right after the step that read it, not for polls.
   */
  recentStatus(cluster: string, signal: AbortSignal): Promise<ClusterStatus>
  /**
   * A new fencing epoch for the next role change; agents refuse anything older afterwards. Followed by a save of the
   * operation (fenced by its lease), carrying `before` when given: what the change must find on record.
   */
  bumpEpoch(before?: { leg: LegKey; patch: Partial<Leg> }): Promise<number>
  /** The registry says what Vault now reports. */
  setRole(cluster: string, role: ClusterRole): Promise<void>
  /** The store records whom a secondary now replicates from (the pairs list it so). */
  recordPairing(pair: { secondary: string; primary: string; secondary_id: string }): Promise<void>
  /** The DR operation token in clear, for one call; from the gateway's custody (sealed in the store). */
  drToken(): Promise<string>
  /** A DR operation token issued by `primary` after `after` (ISO), rotated now when the kept one is older. */
  renewDrToken(primary: string, after: string, signal: AbortSignal): Promise<{ rotated: boolean; expires_at: string }>
  signal(): AbortSignal
  now(): number
  settings: RoleChangeSettings
  log: FastifyBaseLogger
  /**
   * Written before a promote may take effect, right before it is sent: a failover's fence of the old primary (a
   * switchover demoted it instead, and has none).
   */
  beforePromote?: () => Promise<void>
}

/** A planned leg by its position, or the leg that undoes a failed one (the old primary promoted back). */
export type LegKey = number | 'undo'

export const iso = (ms: number) => new Date(ms).toISOString()

/** The first wait of a step's poll: what it waits for (a role settling, a secondary streaming) often lands in ms. */
const FIRST_POLL_MS = 5

/** pollUntil's options for a step: the first wait short, doubled after each look up to settings.pollMs. */
export function stepPoll(ctx: RoleChangeContext, timeoutMs: number, signal: AbortSignal) {
  const intervalMs = ctx.settings.pollMs
  return { timeoutMs, intervalMs, backoffFromMs: Math.min(FIRST_POLL_MS, intervalMs), signal }
}
