import type { CodedError } from '@vault-dr/core'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { Handshake, HandshakeState, StepError } from '../handshakes/handshakes.schemas.ts'
import type { EventsToWrite } from './events-to-write.ts'
import type { UpdateOptions, UpdateOutcome } from './update-outcome.ts'

/** A registered cluster as stored: the agent token only ever sealed (AES-256-GCM), never in clear. */
export interface StoredCluster {
  name: string
  role: ClusterRole
  agent_url: string
  agent_token_sealed: Uint8Array
  created_at: string
  updated_at: string
}

/**
 * An activation a handshake sent to the secondary agent, written before the call: from then on the secondary may be
 * wiped and activated with the handshake's id, whatever happens to the gateway. `outcome` is written once known.
 */
export interface SentActivation {
  /** The name the agent knows it by (getActivation). */
  id: string
  attempt: number
  sent_at: string
  /** When the token it carried expires: no activation can start with it after that. */
  token_expires_at: string
  outcome: 'activated' | 'failed' | 'not_activated' | null
}

/**
 * A handshake with what only the gateway needs: the idempotency key, whether to re-check the cluster port, when
 * it first asked the primary agent to mint (written before the call: from then on a token may exist), and the last
 * activation it sent.
 */
export interface HandshakeRecord extends Handshake {
  recheck_cluster: boolean
  mint_requested_at: string | null
  activation: SentActivation | null
  /** The handshake ended with an unused token whose id could not be revoked then: the gateway retries. */
  revoke_pending: boolean
  idempotency_key: string | null
  request_hash: string | null
}

export type HandshakePatch = Partial<
  Pick<
    HandshakeRecord,
    | 'state'
    | 'steps'
    | 'checks'
    | 'token'
    | 'error'
    | 'recheck_cluster'
    | 'mint_requested_at'
    | 'activation'
    | 'revoke_pending'
    | 'finished_at'
  >
>

export type UpsertOutcome =
  | { kind: 'created' | 'replaced'; cluster: StoredCluster }
  /**
   * The role would change while an unfinished handshake or operation holds the cluster: nothing written. `handshake`
   * is the holder's id; `holder` is set when the holder is an operation.
   */
  | { kind: 'in_use'; handshake: string; holder?: ClusterHolder }

export type CreateOutcome =
  | { kind: 'created'; handshake: HandshakeRecord }
  /** The same Idempotency-Key with the same body: the handshake it made. */
  | { kind: 'replayed'; handshake: HandshakeRecord }
  /** The same Idempotency-Key with another body. */
  | { kind: 'key_conflict'; handshake: HandshakeRecord }
  /** A pending or running handshake has the secondary, or the same primary and secondary id. */
  | { kind: 'in_progress'; handshake: HandshakeRecord }
  /** An unfinished operation holds the handshake's primary or secondary. */
  | { kind: 'cluster_busy'; cluster: string; holder: ClusterHolder }

export interface HandshakeEvent {
  seq: number
  handshake_id: string
  at: string
  type: 'state' | 'step' | 'checks'
  data: Record<string, unknown>
}

export type NewEvent = Pick<HandshakeEvent, 'type' | 'data'>

/** The lease a write is made under: the operation, and the process that must still hold it. */
export interface OperationLease {
  operation: string
  owner: string
}

/** A write refused because this process no longer holds the handshake or operation (another took it over, or it finished). */
export class LeaseLost extends Error {
  constructor(id: string, what = 'handshake') {
    super(`${what} ${id} is no longer held by this gateway process: another took it over`)
    this.name = 'LeaseLost'
  }
}

/** The five states of any operation: pending and running are unfinished. Same values as HandshakeState. */
export type OperationState = HandshakeState

/** One step of an operation's plan (the OperationStep schema's shape). */
export interface OperationStep {
  name: string
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'
  started_at: string | null
  finished_at: string | null
  detail: string | null
  error: StepError | null
}

export type OperationKindName = 'switchover' | 'drill' | 'failover' | 'rejoin'
export const OPERATION_KINDS: readonly OperationKindName[] = ['switchover', 'drill', 'failover', 'rejoin']
export const OPERATION_STATES: readonly OperationState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled']

/** An operation other than a handshake, in the generic journal. */
export interface OperationRecord {
  id: string
  kind: OperationKindName
  state: OperationState
  /** Every cluster it touches: the lock set, held while the operation is pending or running. */
  clusters: string[]
  /** What was asked (the kind validates it with its schema when it reads it). */
  subject: Record<string, unknown>
  /** Progress and results the kind writes: never secrets. */
  data: Record<string, unknown>
  steps: OperationStep[]
  error: StepError | null
  cancel_requested: boolean
  idempotency_key: string | null
  request_hash: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
}

export type OperationPatch = Partial<Pick<OperationRecord, 'state' | 'steps' | 'data' | 'error' | 'finished_at'>>

/** What holds a cluster: an unfinished handshake (as its primary or secondary) or an unfinished operation. */
export type ClusterHolder = { kind: 'handshake' | OperationKindName; id: string; state: OperationState }

export type CreateOperationOutcome =
  | { kind: 'created' | 'replayed' | 'key_conflict'; operation: OperationRecord }
  | { kind: 'cluster_busy'; cluster: string; holder: ClusterHolder }

export interface OperationEvent {
  seq: number
  operation_id: string
  at: string
  type: 'state' | 'step' | 'checks' | 'note'
  data: Record<string, unknown>
}

export type NewOperationEvent = Pick<OperationEvent, 'type' | 'data'>

export type OperationQuery = {
  kind?: OperationKindName | undefined
  state?: OperationState | undefined
  cluster?: string | undefined
  limit: number
}

export const unfinishedState = (state: OperationState) => state === 'pending' || state === 'running'

/**
 * A primary's batch DR operation token, sealed (owner `dr-operation-token/<primary>`), and the one it replaced, kept
 * until it expires so a valid token exists at all times during a rotation.
 */
export interface StoredDrToken {
  primary: string
  token_sealed: Uint8Array
  issued_at: string
  expires_at: string
  /** The replication set id of the primary that issued it. */
  primary_cluster_id: string | null
  previous_sealed: Uint8Array | null
  previous_expires_at: string | null
  updated_at: string
}

/** The DR operation token of a secondary's last key-share ceremony, sealed (owner `dr-ceremony-token/<secondary>`). */
export interface StoredCeremonyToken {
  secondary: string
  token_sealed: Uint8Array
  created_at: string
}

/**
 * A secondary and the primary it replicates from: joined by its last succeeded handshake, or recorded since by a
 * switchover or failover that reversed the pair without one.
 */
export interface PairedSecondary {
  secondary: string
  primary: string
  secondary_id: string
}

export interface SecondaryIdHistory {
  minted: boolean
  activated: boolean
}

/**
 * Where the gateway keeps clusters and handshakes. Every call is atomic; the uniqueness rules (one unfinished
 * handshake per secondary and per secondary id of a primary, one handshake per idempotency key) hold in the store
 * itself, so several gateways can share one database.
 */
export interface Store {
  /** Answers once the store can be read (etcd: through a quorum); kept short, as contacts wait on it. */
  ping(): Promise<void>
  /** Why the store refuses writes while it answers reads (etcd's NOSPACE alarm), for readiness; undefined: none known. */
  refusesWrites?(): Promise<CodedError | undefined>
  close(): Promise<void>

  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
  /**
   * Replaces a meta entry with `value` (null: deletes it) only while it still holds `expected` (what the caller
   * read; undefined: while there is none, so `value` creates it): true when it did. A read-modify-write of a record
   * several gateways write. With `lease`, only while its owner holds the unfinished operation (LeaseLost otherwise),
   * in the same transaction: a record an operation's step writes (a failover's fence) is never written by a gateway
   * that lost the operation to another, however long it was paused.
   */
  replaceMetaIf(
    key: string,
    expected: string | undefined,
    value: string | null,
    lease?: OperationLease,
  ): Promise<boolean>
  /** Every meta entry whose key starts with `prefix`, by key, in one read: what a round over all clusters needs. */
  metaUnder(prefix: string): Promise<Map<string, string>>

  /** Registers or replaces a cluster; a role change is refused while an unfinished handshake or operation holds it. */
  upsertCluster(cluster: StoredCluster): Promise<UpsertOutcome>
  getCluster(name: string): Promise<StoredCluster | undefined>
  listClusters(): Promise<StoredCluster[]>
  /** Deletes a cluster no unfinished handshake or operation holds; 'in_use' otherwise. */
  deleteCluster(name: string): Promise<'deleted' | 'not_found' | 'in_use'>
  /**
   * Records the role Vault now reports for a cluster (a switchover swaps them as it ends): not refused while held,
   * since the holder itself writes it. Nothing is written for an unknown cluster.
   */
  setClusterRole(name: string, role: ClusterRole, at: string, lease?: OperationLease): Promise<void>

  createHandshake(handshake: HandshakeRecord): Promise<CreateOutcome>
  /** The handshake an Idempotency-Key made, if any: a replay is answered before anything else is checked. */
  handshakeByIdempotencyKey(key: string): Promise<HandshakeRecord | undefined>
  getHandshake(id: string): Promise<HandshakeRecord | undefined>
  /**
   * What this gateway's other handshakes did with a secondary id of a primary: may have minted a token for it
   * (asked the primary agent to, mint_requested_at), activated a secondary with it. vault-dr revokes only ids it
   * minted and never activated.
   */
  secondaryIdHistory(primary: string, secondaryId: string, exceptHandshake: string): Promise<SecondaryIdHistory>
  /** Whether someone asked to cancel the handshake (false when there is none): one column, not the record. */
  cancelRequested(id: string): Promise<boolean>
  listHandshakes(query: { state?: HandshakeState | undefined; limit: number }): Promise<HandshakeRecord[]>
  /**
   * Pending or running handshakes this lease owner may run: unheld, held by it, or whose lease ran out; with
   * `ownName`, also those held by an earlier process of the gateway of that name (a restart takes them over at once).
   */
  resumable(owner: string, now: number, ownName?: string): Promise<HandshakeRecord[]>
  /**
   * Writes a transition and its events in one transaction, before the gateway acts on it. Answers what another
   * gateway may have changed meanwhile (a cancellation), not the whole record: the writer knows the rest. With
   * `owner`, writes only while that lease owner holds the unfinished handshake, and throws LeaseLost otherwise.
   */
  updateHandshake(
    id: string,
    patch: HandshakePatch,
    at: string,
    events?: EventsToWrite<NewEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome>
  /** Flags a pending or running handshake for cancellation; undefined when there is none by that id. */
  requestCancel(id: string, at: string): Promise<HandshakeRecord | undefined>
  countByState(): Promise<Record<HandshakeState, number>>
  /** Finished handshakes whose unused secondary id could not be revoked when they ended (revoke_pending). */
  pendingRevocations(): Promise<HandshakeRecord[]>

  /**
   * Takes (or renews) the right to run a handshake until `until` (epoch ms); false when another holds it. With
   * `ownName`, a lease of an earlier process of the gateway of that name is taken over too.
   */
  claim(id: string, owner: string, now: number, until: number, ownName?: string): Promise<boolean>
  /**
   * Extends a lease `owner` still holds to `until`; false once it holds it no more (released, taken over, finished),
   * even if the lease is free: a process that lost it must stop, not take back a record others moved on meanwhile.
   */
  renew(id: string, owner: string, until: number): Promise<boolean>
  release(id: string, owner: string): Promise<void>

  events(id: string, afterSeq: number): Promise<HandshakeEvent[]>

  /**
   * Each secondary with the primary and secondary id of the latest of its last succeeded handshake (by finished_at)
   * and its recorded pairing (by `at`); a tie goes to the pairing.
   */
  pairedSecondaries(): Promise<PairedSecondary[]>
  /**
   * Records whom a secondary now replicates from (a switchover or failover reversed the pair without a handshake).
   * Idempotent; a pairing older than the one recorded changes nothing.
   */
  recordPairing(p: PairedSecondary, at: string, lease?: OperationLease): Promise<void>
  getDrToken(primary: string): Promise<StoredDrToken | undefined>
  listDrTokens(): Promise<StoredDrToken[]>
  /** Writes a primary's token if the stored one is still `replaces` (its issued_at; null: none); false otherwise. */
  putDrToken(token: StoredDrToken, replaces: string | null): Promise<boolean>
  getCeremonyToken(secondary: string): Promise<StoredCeremonyToken | undefined>
  putCeremonyToken(token: StoredCeremonyToken): Promise<void>
  /**
   * Forgets a secondary's ceremony token if it is still the one made at `madeAt` (true), never one made since in its
   * place (false); none kept is false.
   */
  deleteCeremonyToken(secondary: string, madeAt: string): Promise<boolean>

  /**
   * Creates an operation and its lock on every cluster in `clusters`, atomically: a known idempotency key is answered
   * first (replayed or key_conflict), then any cluster held by an unfinished handshake (as primary or secondary) or
   * operation refuses it (cluster_busy, naming the holder).
   */
  createOperation(operation: OperationRecord): Promise<CreateOperationOutcome>
  operationByIdempotencyKey(key: string): Promise<OperationRecord | undefined>
  getOperation(id: string): Promise<OperationRecord | undefined>
  /** Newest first. `cluster`: operations whose lock set holds it, finished or not. */
  listOperations(query: OperationQuery): Promise<OperationRecord[]>
  /** The unfinished operation (not a handshake) whose lock holds `cluster`, if any: one read of the lock. */
  operationHolding(cluster: string): Promise<ClusterHolder | undefined>
  /**
   * As updateHandshake: the transition and its events in one transaction; with `owner`, only while that lease owner
   * holds the unfinished operation (LeaseLost otherwise). Finishing it releases its cluster locks in that transaction.
   */
  updateOperation(
    id: string,
    patch: OperationPatch,
    at: string,
    events?: EventsToWrite<NewOperationEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome>
  /** Flags a pending or running operation for cancellation; undefined when there is none by that id. */
  requestCancelOperation(id: string, at: string): Promise<OperationRecord | undefined>
  operationCancelRequested(id: string): Promise<boolean>
  /** As resumable, for operations: oldest first. */
  resumableOperations(owner: string, now: number, ownName?: string): Promise<OperationRecord[]>
  claimOperation(id: string, owner: string, now: number, until: number, ownName?: string): Promise<boolean>
  /** As renew, for an operation. */
  renewOperation(id: string, owner: string, until: number): Promise<boolean>
  releaseOperation(id: string, owner: string): Promise<void>
  operationEvents(id: string, afterSeq: number): Promise<OperationEvent[]>
  countOperations(): Promise<Record<OperationKindName, Record<OperationState, number>>>

  /** The fencing epoch: one counter per store, bumped by every role change; 0 when never bumped. */
  currentEpoch(): Promise<number>
  /** Adds one to the fencing epoch atomically and answers the new value. */
  bumpEpoch(): Promise<number>
  /**
   * For a caller that took epoch `from` and found an agent at `above`, atomically: when no role change has bumped the
   * counter since `from` (it is still `from`, or moved from it only by raises, and `from` is within that run), the
   * counter is left when it is already at `above` or more and otherwise set to `above` + 1; answers the counter after
   * and whether this call moved it. Undefined when a role change bumped it since `from`.
   */
  raiseEpoch(from: number, above: number): Promise<EpochRaise | undefined>
}

/** What raiseEpoch did: the counter after, and whether this call moved it. */
export interface EpochRaise {
  epoch: number
  raised: boolean
}

/**
 * raiseEpoch's rule, for both stores: `counter` is the fencing epoch and, when raises moved it since the last role
 * change, the epoch that run of raises started from. Every epoch from there up to the counter was handed out by a
 * raise (or was the counter when it started), never by a role change, so a caller holding one is not stale.
 */
export function epochRaise(
  counter: { epoch: number; raised_from?: number | undefined },
  from: number,
  above: number,
): EpochRaise | undefined {
  const runFrom = counter.raised_from ?? counter.epoch
  if (from < runFrom || from > counter.epoch) return undefined
  if (counter.epoch >= above) return { epoch: counter.epoch, raised: false }
  return { epoch: above + 1, raised: true }
}

/** Zero for every kind and state, to count into. */
export function zeroOperationCounts(): Record<OperationKindName, Record<OperationState, number>> {
  const zero = () => Object.fromEntries(OPERATION_STATES.map((s) => [s, 0])) as Record<OperationState, number>
  return Object.fromEntries(OPERATION_KINDS.map((k) => [k, zero()])) as Record<
    OperationKindName,
    Record<OperationState, number>
  >
}
