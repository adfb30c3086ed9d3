import type { EventsToWrite } from '../store/events-to-write.ts'
import type { UpdateOptions, UpdateOutcome } from '../store/update-outcome.ts'
import type { OperationState, OperationStep, StepError } from './operations.schemas.ts'

/** What the engine reads and writes of every record, whatever its kind. */
export interface JournalRecord {
  id: string
  state: OperationState
  steps: OperationStep[]
  error: StepError | null
  cancel_requested: boolean
  created_at: string
  updated_at: string
  finished_at: string | null
}

export interface JournalEvent {
  seq: number
  at: string
  type: string
  data: Record<string, unknown>
}

export interface NewJournalEvent {
  type: 'state' | 'step' | 'checks' | 'note'
  data: Record<string, unknown>
}

/**
 * One family of durable records (the handshake table, the generic operations journal) as the engine uses it. Every
 * write is fenced by the lease owner and throws LeaseLost once another process holds the record.
 */
export interface OperationJournal<Rec extends JournalRecord> {
  get(id: string): Promise<Rec | undefined>
  update(
    id: string,
    patch: Partial<Rec>,
    at: string,
    events?: EventsToWrite<NewJournalEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome>
  claim(id: string, owner: string, now: number, until: number, ownName?: string): Promise<boolean>
  /** Extends a lease still held; false once it is not (see Store.renew). */
  renew(id: string, owner: string, until: number): Promise<boolean>
  release(id: string, owner: string): Promise<void>
  /** Unfinished records this owner may run (see Store.resumable). */
  resumable(owner: string, now: number, ownName?: string): Promise<Rec[]>
  cancelRequested(id: string): Promise<boolean>
  events(id: string, afterSeq: number): Promise<JournalEvent[]>
}

export const isFinished = (record: { state: OperationState }) =>
  record.state !== 'pending' && record.state !== 'running'

export function stepOf<Step extends OperationStep>(record: { id: string; steps: Step[] }, name: string): Step {
  const step = record.steps.find((s) => s.name === name)
  if (step === undefined) throw new Error(`operation ${record.id} has no step ${name}`)
  return step
}
