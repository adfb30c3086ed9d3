import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { Handshake, HandshakeState } from '../handshakes/handshakes.schemas.ts'

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
  /** The role would change while an unfinished handshake uses the cluster: nothing written. */
  | { kind: 'in_use'; handshake: string }

export type CreateOutcome =
  | { kind: 'created'; handshake: HandshakeRecord }
  /** The same Idempotency-Key with the same body: the handshake it made. */
  | { kind: 'replayed'; handshake: HandshakeRecord }
  /** The same Idempotency-Key with another body. */
  | { kind: 'key_conflict'; handshake: HandshakeRecord }
  /** A pending or running handshake has the secondary, or the same primary and secondary id. */
  | { kind: 'in_progress'; handshake: HandshakeRecord }

export interface HandshakeEvent {
  seq: number
  handshake_id: string
  at: string
  type: 'state' | 'step' | 'checks'
  data: Record<string, unknown>
}

export type NewEvent = Pick<HandshakeEvent, 'type' | 'data'>

/** A write refused because this process no longer holds the handshake (another took it over, or it finished). */
export class LeaseLost extends Error {
  constructor(id: string) {
    super(`handshake ${id} is no longer held by this gateway process: another took it over`)
    this.name = 'LeaseLost'
  }
}

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

/** A secondary and the primary its last succeeded handshake joined it to. */
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
  ping(): Promise<void>
  close(): Promise<void>

  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>

  /** Registers or replaces a cluster; a role change is refused while an unfinished handshake uses it. */
  upsertCluster(cluster: StoredCluster): Promise<UpsertOutcome>
  getCluster(name: string): Promise<StoredCluster | undefined>
  listClusters(): Promise<StoredCluster[]>
  /** Deletes a cluster no unfinished handshake uses; 'in_use' otherwise. */
  deleteCluster(name: string): Promise<'deleted' | 'not_found' | 'in_use'>

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
   * Writes a transition and its event in one transaction, before the gateway acts on it. Answers what another
   * gateway may have changed meanwhile (a cancellation), not the whole record: the writer knows the rest. With
   * `owner`, writes only while that lease owner holds the unfinished handshake, and throws LeaseLost otherwise.
   */
  updateHandshake(
    id: string,
    patch: HandshakePatch,
    at: string,
    event?: NewEvent,
    owner?: string,
  ): Promise<Pick<HandshakeRecord, 'cancel_requested'>>
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
  release(id: string, owner: string): Promise<void>

  events(id: string, afterSeq: number): Promise<HandshakeEvent[]>

  /** Each secondary with the primary and secondary id of its last succeeded handshake. */
  pairedSecondaries(): Promise<PairedSecondary[]>
  getDrToken(primary: string): Promise<StoredDrToken | undefined>
  listDrTokens(): Promise<StoredDrToken[]>
  /** Writes a primary's token if the stored one is still `replaces` (its issued_at; null: none); false otherwise. */
  putDrToken(token: StoredDrToken, replaces: string | null): Promise<boolean>
  getCeremonyToken(secondary: string): Promise<StoredCeremonyToken | undefined>
  putCeremonyToken(token: StoredCeremonyToken): Promise<void>
}
