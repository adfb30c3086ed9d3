import type { Registry } from 'prom-client'
import type { VaultSettings } from '../config/service-config.ts'
import { singleFlight } from '../util/single-flight.ts'
import { VaultClient } from '../vault/vault-client.ts'
import { type AgentMetrics, createAgentMetrics } from './agent-metrics.ts'
import { ClusterStatus, readClusterStatus } from './cluster-status.ts'

export interface VaultAgent {
  vault: VaultClient
  metrics: AgentMetrics
  /**
   * The cluster's status; concurrent callers share one Vault round trip, reused for `statusMaxAgeMs` (or the
   * caller's `maxAgeMs`: 0 asks Vault now, for whoever waits on a change).
   */
  status(maxAgeMs?: number): Promise<ClusterStatus>
  /** The same status as checked JSON, serialized once per Vault read: monitoring polls it at high rates. */
  statusJson(maxAgeMs?: number): Promise<string>
  /** statusJson's answer when a fresh enough status is at hand (most polls), without waiting: else undefined. */
  cachedStatusJson(maxAgeMs?: number): string | undefined
  /** Forget the cached status after a change, so the next read sees it. */
  invalidateStatus(): void
  /** A status read right after a change, shared like one the agent asked for (when steady). */
  rememberStatus(status: ClusterStatus): void
  /**
   * Calls `listener` with every status read from Vault from now on (not with the cached ones shared again), and how
   * long that read took (0 for a status remembered after a change).
   */
  onStatus(listener: StatusListener): void
}

export type StatusListener = (status: ClusterStatus, readMs: number) => void

/**
 * How old a status may be for the guard of a change Vault would refuse anyway when the guard is wrong (enabling a
 * primary, the role changes, a DR operation token, which a DR secondary does not issue): the gateway's read just
 * before is reused. Activation, which wipes, reads anew; minting reads none.
 */
export const GUARD_STATUS_MAX_AGE_MS = 250

/** What both agents need: a Vault client whose calls are measured, and a shared, bounded status reader. */
export function createVaultAgent(registry: Registry, vaultSettings: VaultSettings, statusMaxAgeMs: number): VaultAgent {
  const metrics = createAgentMetrics(registry)
  const vault = new VaultClient({ ...vaultSettings, onCall: metrics.recordVaultCall })
  const listeners: StatusListener[] = []
  const status = singleFlight(
    async () => {
      const started = performance.now()
      const result = await readClusterStatus(vault)
      const readMs = performance.now() - started
      if (result.replication !== null) metrics.recordStatus(result.replication)
      for (const listener of listeners) listener(result, readMs)
      return result
    },
    statusMaxAgeMs,
    isSteady,
  )
  const serialized = new WeakMap<ClusterStatus, string>()
  const jsonOf = (current: ClusterStatus) => {
    let json = serialized.get(current)
    if (json === undefined) {
      json = JSON.stringify(ClusterStatus.parse(current))
      serialized.set(current, json)
    }
    return json
  }
  const statusJson = async (maxAgeMs?: number) => jsonOf(await status.get(maxAgeMs))
  const cachedStatusJson = (maxAgeMs?: number) => {
    const current = status.peek(maxAgeMs)
    return current === undefined ? undefined : jsonOf(current)
  }
  const rememberStatus = (s: ClusterStatus) => {
    if (s.replication !== null) metrics.recordStatus(s.replication)
    for (const listener of listeners) listener(s, 0)
    status.remember(s)
  }
  return {
    vault,
    metrics,
    status: status.get,
    statusJson,
    cachedStatusJson,
    invalidateStatus: status.invalidate,
    rememberStatus,
    onStatus: (listener) => listeners.push(listener),
  }
}

/**
 * Only a steady status is reused: one in transition (bootstrapping, syncing, connecting) is asked again, so whoever
 * waits for the transition to end sees it end at once. A running primary is steady whatever its secondaries do: with
 * a fleet joining, one of them is always connecting, and the primary's status (which lists them all) would never be
 * shared; whoever waits on a secondary asks with max_age_ms=0.
 */
export function isSteady({ vault, replication }: ClusterStatus): boolean {
  if (!vault.reachable || vault.sealed !== false || replication === null) return false
  switch (replication.mode) {
    case 'disabled':
      return true
    case 'primary':
      return replication.state === 'running'
    case 'secondary':
      return replication.state === 'stream-wals' && replication.connection_state === 'ready'
    default:
      return false
  }
}
