import { type ClusterStatus, connectedSecondaries } from '../cluster-status.ts'
import { restartGraceMs } from './isolation-clocks.ts'

/** What one check of VAULT_DR_FENCE_ON_ISOLATION sees. */
export interface IsolationObservation {
  now: number
  /** The agent's shared status read; undefined when it could not be made. */
  status: ClusterStatus | undefined
  /** When a gateway's last quorum contact (a /v1 request marked x-vault-dr-contact: quorum) reached the agent (its
   * start when none has). */
  lastRequestAt: number
}

export type IsolationVerdict =
  /** armed: past the duration while the agent's own Vault does not answer: fires at the first read that can. */
  { fire: false; isolatedSince: number | null; armed?: true } | { fire: true; isolatedSince: number; reason: string }

/**
 * The agent's own Vault gave no answer it can judge its secondaries by: none at all (no connection, or none in time:
 * how a lost site looks from inside), or sealed, or with no readable DR state (no active node, a standby that cannot
 * say). Such a Vault takes no write as it is, but may as soon as it is unsealed or has a leader again: its time counts
 * as isolation does, and it fires at its first readable answer past the duration.
 */
const vaultAway = (status: ClusterStatus | undefined) =>
  status === undefined || !status.vault.reachable || status.vault.sealed !== false || status.replication == null

/**
 * The DR secondaries of a DR primary, when Vault reports every one of them disconnected (a known secondary with no
 * connection entry counts as disconnected); undefined when the cluster is not a readable DR primary with at least one
 * known secondary, or one of them is connected.
 */
export function allSecondariesDisconnected(status: ClusterStatus | undefined): string[] | undefined {
  const r = status?.replication
  if (status === undefined || r == null || !status.vault.reachable || status.vault.sealed !== false) return undefined
  if (r.mode !== 'primary' || r.known_secondaries.length === 0) return undefined
  const connected = new Set(connectedSecondaries(status))
  return r.known_secondaries.some((id) => connected.has(id)) ? undefined : r.known_secondaries
}

/** How often VAULT_DR_FENCE_ON_ISOLATION is checked: every 5 s, or a quarter of the duration when shorter. */
export const isolationCheckEveryMs = (durationMs: number) => Math.min(5_000, Math.floor(durationMs / 4))

/**
 * How long after its Vault last streamed to a DR secondary, or last answered, Vault itself may take to report every
 * secondary disconnected when the link is cut rather than closed (its stream's heartbeats must fail first). Our
 * margin: Vault documents no figure.
 */
export const VAULT_NOTICES_DISCONNECT_MS = 5_000

/**
 * How long, by our reckoning, an agent with VAULT_DR_FENCE_ON_ISOLATION `durationMs` takes to demote its primary once
 * its site is cut off and no gateway's quorum contact reaches it: Vault noticing its secondaries gone (a margin that also
 * covers the status read and the demote), a check to see it, the duration, the check that fires, and the grace an
 * agent restarted during the partition gives the gateways before counting the silence it resumes (restartGraceMs,
 * isolation-clocks.ts). A failover does not promote before that long (a promote delay longer than the old side's
 * self-fencing time). Not a proof: an agent whose state directory was lost counts again from its start.
 */
export const selfFenceWithinMs = (durationMs: number) =>
  VAULT_NOTICES_DISCONNECT_MS + durationMs + 2 * isolationCheckEveryMs(durationMs) + restartGraceMs(durationMs)

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Whether an agent should demote its own primary: for longer than `durationMs`, continuously, (a) every DR secondary
 * is disconnected as its Vault reports them, or its Vault does not answer the agent at all (the whole site cut off,
 * the agent's link to its Vault included), and (b) no gateway's quorum contact reached the agent (its marked status
 * reads, sent right after it reached its store's quorum: a gateway that reaches the agent so is on the quorum side). It fires only on a read where Vault answers as a
 * DR primary with every secondary disconnected: so a primary whose site comes back after longer than the duration is
 * demoted at the first read that can, not one more duration later. A Vault that answers sealed, or with no readable DR
 * state, counts as one that does not answer: a site that comes back sealed, or restarts its Vault while cut off, must
 * not start the count again, since a failover promoted on the other side already counts on it. `isolatedSince` is when
 * (a) was first seen in the current run of checks; a check where Vault answers otherwise (a secondary connected, not a
 * DR primary, no known secondary) starts the count again.
 */
export function decideIsolation(
  isolatedSince: number | null,
  obs: IsolationObservation,
  durationMs: number,
): IsolationVerdict {
  const silent = obs.now - obs.lastRequestAt > durationMs
  if (vaultAway(obs.status)) {
    const since = isolatedSince ?? obs.now
    return obs.now - since > durationMs && silent
      ? { fire: false, isolatedSince: since, armed: true }
      : { fire: false, isolatedSince: since }
  }
  const secondaries = allSecondariesDisconnected(obs.status)
  if (secondaries === undefined) return { fire: false, isolatedSince: null }
  const since = isolatedSince ?? obs.now
  if (obs.now - since <= durationMs || !silent) return { fire: false, isolatedSince: since }
  const seconds = Math.round(durationMs / 100) / 10
  return {
    fire: true,
    isolatedSince: since,
    reason:
      `Isolated for more than ${seconds}s (VAULT_DR_FENCE_ON_ISOLATION): every DR secondary ` +
      `(${secondaries.slice(0, 5).join(', ')}${secondaries.length > 5 ? ', ...' : ''}) disconnected, or this ` +
      `agent's Vault not answering, since ${iso(since)}, and no gateway's quorum contact (x-vault-dr-contact) since ${iso(obs.lastRequestAt)}`,
  }
}
