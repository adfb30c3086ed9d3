import type { EventsToWrite } from '../store/events-to-write.ts'
import type { UpdateOptions, UpdateOutcome } from '../store/update-outcome.ts'
import type { OperationKindName, OperationState, OperationStep, StepError } from './operations.schemas.ts'

/*
 * The generic journal's shapes, as the store states them (contracts §2). Declared here so the engine compiles on
 * its own; the store's own types are structurally the same, so a Store that has these methods is a
 * GenericOperationStore as it is.
 */

export type JournalKindName = Exclude<OperationKindName, 'handshake'>

export interface OperationRecord {
  id: string
  kind: JournalKindName
  state: OperationState
  /** Every cluster it touches: the lock set. */
  clusters: string[]
  /** What was asked (the kind validates it with its zod schema when it reads it). */
  subject: Record<string, unknown>
  /** Progress and results the kind writes (never secrets). */
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
export type ClusterHolder = { kind: OperationKindName; id: string; state: OperationState }
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

/** The generic journal's methods of the Store (contracts §2). */
export interface GenericOperationStore {
  createOperation(op: OperationRecord): Promise<CreateOperationOutcome>
  operationByIdempotencyKey(key: string): Promise<OperationRecord | undefined>
  getOperation(id: string): Promise<OperationRecord | undefined>
  listOperations(q: {
    kind?: JournalKindName | undefined
    state?: OperationState | undefined
    cluster?: string | undefined
    limit: number
  }): Promise<OperationRecord[]>
  updateOperation(
    id: string,
    patch: OperationPatch,
    at: string,
    events?: EventsToWrite<NewOperationEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome>
  requestCancelOperation(id: string, at: string): Promise<OperationRecord | undefined>
  operationCancelRequested(id: string): Promise<boolean>
  resumableOperations(owner: string, now: number, ownName?: string): Promise<OperationRecord[]>
  claimOperation(id: string, owner: string, now: number, until: number, ownName?: string): Promise<boolean>
  /** As Store.renew, for an operation. */
  renewOperation(id: string, owner: string, until: number): Promise<boolean>
  releaseOperation(id: string, owner: string): Promise<void>
  operationEvents(id: string, afterSeq: number): Promise<OperationEvent[]>
  countOperations(): Promise<Record<JournalKindName, Record<OperationState, number>>>
}

/** Whether the store has the generic journal (until every store has, the operations API shows handshakes only). */
export function hasGenericJournal(store: object): store is GenericOperationStore {
  return typeof (store as Partial<GenericOperationStore>).createOperation === 'function'
}
