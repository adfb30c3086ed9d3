import type { HandshakeState } from '../handshakes/handshakes.schemas.ts'
import type { HandshakeRecord, OperationKindName, OperationRecord, OperationState } from './store.ts'

/** One path segment: a name may hold "/" or any other byte, its key stays unambiguous. */
const seg = (name: string) => encodeURIComponent(name)

/**
 * Where everything lives under the prefix (VAULT_DR_ETCD_PREFIX). The `unfinished/` keys exist exactly while their
 * handshake is pending or running; transactions that create them compare that they are absent, which is how the
 * SQLite store's partial unique indexes hold in etcd.
 */
export class EtcdKeys {
  readonly #prefix: string

  constructor(prefix: string) {
    this.#prefix = prefix
  }

  meta(key: string) {
    return `${this.#prefix}meta/${seg(key)}`
  }
  /** A primary's sealed DR operation token. */
  drToken(primary: string) {
    return `${this.#prefix}dr-tokens/${seg(primary)}`
  }
  drTokens() {
    return `${this.#prefix}dr-tokens/`
  }
  /** The sealed DR operation token of a secondary's last key-share ceremony. */
  ceremonyToken(secondary: string) {
    return `${this.#prefix}ceremony-tokens/${seg(secondary)}`
  }
  /** Whom a secondary replicates from, as a switchover or failover recorded it. */
  pairing(secondary: string) {
    return `${this.#prefix}pairings/${seg(secondary)}`
  }
  pairings() {
    return `${this.#prefix}pairings/`
  }
  cluster(name: string) {
    return `${this.#prefix}clusters/${seg(name)}`
  }
  clusters() {
    return `${this.#prefix}clusters/`
  }
  handshake(id: string) {
    return `${this.#prefix}handshakes/${seg(id)}`
  }
  handshakes() {
    return `${this.#prefix}handshakes/`
  }
  /** A handshake's preflight checks (JSON array), apart from its key: written only when they change. */
  handshakeChecks(id: string) {
    return `${this.#prefix}handshake-checks/${seg(id)}`
  }
  idempotency(key: string) {
    return `${this.#prefix}idempotency/${seg(key)}`
  }
  /** Events of one handshake; the revision that created each is its sequence number. */
  events(id: string) {
    return `${this.#prefix}events/${seg(id)}/`
  }
  /** The unfinished handshake of a secondary (one at most). */
  unfinishedSecondary(secondary: string) {
    return `${this.#prefix}unfinished/secondary/${seg(secondary)}`
  }
  unfinishedSecondaries() {
    return `${this.#prefix}unfinished/secondary/`
  }
  /** The unfinished handshake of a secondary id of a primary (one at most). */
  unfinishedSecondaryId(primary: string, secondaryId: string) {
    return `${this.#prefix}unfinished/secondary-id/${seg(primary)}/${seg(secondaryId)}`
  }
  /** Unfinished handshakes of a primary (any number): one key each under this folder. */
  unfinishedOfPrimary(primary: string) {
    return `${this.#prefix}unfinished/primary/${seg(primary)}/`
  }

  /** Every handshake of a secondary id of a primary, finished or not: one key each under this folder. */
  ofSecondaryId(primary: string, secondaryId: string) {
    return `${this.#prefix}by-secondary-id/${seg(primary)}/${seg(secondaryId)}/`
  }
  /** Handshakes in one state, one key each, `<created_at>/<id>` under this folder: newest last in key order. */
  byState(state: HandshakeState) {
    return `${this.#prefix}by-state/${state}/`
  }
  /** A handshake's key in its state's folder. */
  byStateEntry(h: Pick<HandshakeRecord, 'id' | 'state' | 'created_at'>) {
    return `${this.byState(h.state)}${seg(h.created_at)}/${seg(h.id)}`
  }
  /** Handshakes with revoke_pending set: one key each under this folder. */
  revokePending() {
    return `${this.#prefix}revoke-pending/`
  }

  operation(id: string) {
    return `${this.#prefix}operations/${seg(id)}`
  }
  operations() {
    return `${this.#prefix}operations/`
  }
  operationIdempotency(key: string) {
    return `${this.#prefix}operation-idempotency/${seg(key)}`
  }
  /** Events of one operation; the revision that created each is its sequence number. */
  operationEvents(id: string) {
    return `${this.#prefix}operation-events/${seg(id)}/`
  }
  /** Unfinished operations: one key each (the id as value) under this folder, for resuming without reading all. */
  unfinishedOperations() {
    return `${this.#prefix}unfinished/operation/`
  }
  unfinishedOperation(id: string) {
    return `${this.unfinishedOperations()}${seg(id)}`
  }
  /** Operations of one kind in one state, one key each, `<created_at>/<id>` under this folder: newest last in key order. */
  operationsByState(state: OperationState, kind: OperationKindName) {
    return `${this.#prefix}operations-by-state/${state}/${kind}/`
  }
  /** An operation's key in its state's folder: moved by the transaction that changes its state. */
  operationByStateEntry(op: Pick<OperationRecord, 'id' | 'kind' | 'state' | 'created_at'>) {
    return `${this.operationsByState(op.state, op.kind)}${seg(op.created_at)}/${seg(op.id)}`
  }
  /** Operations of one kind that touch a cluster, one key each, `<created_at>/<id>` under this folder. */
  operationsOfCluster(cluster: string, kind: OperationKindName) {
    return `${this.#prefix}operations-by-cluster/${seg(cluster)}/${kind}/`
  }
  /** An operation's keys in the folders of its clusters, one per cluster: written once, never moved. */
  operationOfClusterEntries(op: Pick<OperationRecord, 'id' | 'kind' | 'clusters' | 'created_at'>): string[] {
    const name = `${seg(op.created_at)}/${seg(op.id)}`
    return [...new Set(op.clusters)].map((cluster) => `${this.operationsOfCluster(cluster, op.kind)}${name}`)
  }
  /** The unfinished operation that holds a cluster (one at most): {kind, id} as value. */
  clusterLock(name: string) {
    return `${this.#prefix}locks/cluster/${seg(name)}`
  }
  /** The fencing epoch, one counter per store. */
  epoch() {
    return `${this.#prefix}epoch`
  }

  /** The index keys an unfinished handshake holds. */
  unfinishedIndex(h: Pick<HandshakeRecord, 'id' | 'primary' | 'secondary' | 'secondary_id'>): string[] {
    return [
      this.unfinishedSecondary(h.secondary),
      this.unfinishedSecondaryId(h.primary, h.secondary_id),
      `${this.unfinishedOfPrimary(h.primary)}${seg(h.id)}`,
    ]
  }
}
