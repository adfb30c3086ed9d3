import type { FastifyBaseLogger } from 'fastify'
import type { OperationLease } from '../store/store.ts'
import type { OperationRecord } from './operation-record.ts'
import type { StepResult } from './step.ts'

export interface StepSpec<Ctx> {
  /** e.g. 'demote_primary' or 'update_primary:dc3' (a data-dependent plan). */
  name: string
  run(ctx: Ctx): Promise<StepResult>
  /**
   * Changes no cluster's role (at most it keeps a DR operation token for the operation, which a run again finds
   * kept): a stopping gateway may interrupt it; it is re-run on resume.
   */
  interruptible?: boolean
  /** A cancellation interrupts it mid-way (the others are cancelled at their boundary). */
  cancellable?: boolean
  /** From here a cancellation no longer stops the operation: it runs to a safe end. */
  pastPointOfNoReturn?: boolean
  /**
   * It reads where things stand before it acts, as a resumed run does: when an agent it called gave no answer (killed,
   * restarting, cut off), it is run again from its start once the agent may be back, for up to the gateway's
   * VAULT_DR_AGENT_RETURN_MS, rather than failing the operation.
   */
  rerunWhenUnanswered?: boolean
}

/** What the engine hands a kind to build its step context. */
export interface OperationRun<Rec> {
  /** The record as last written. */
  record: () => Rec
  /** A write fenced by this process's lease (LeaseLost once another holds the operation). */
  save(patch: Partial<Rec>, event?: { type: 'checks' | 'note'; data: Record<string, unknown> }): Promise<void>
  /** The current step's signal. */
  signal: () => AbortSignal
  cancelRequested(): Promise<boolean>
  now: () => number
  log: FastifyBaseLogger
  /** This process's lease on the operation, for a record a step writes beside it (unset: a run without a lease). */
  lease?: OperationLease | undefined
}

/**
 * What compensating did: a note appended to the error's detail, a fix appended to its fix (or put in its place with
 * `replacesFix`, when what the undo found makes the step's own fix wrong), and what to write with the end.
 */
export interface Compensation<Rec> {
  note: string
  fix?: string | null
  replacesFix?: boolean
  patch?: Partial<Rec>
}

export interface OperationKind<Rec, Ctx> {
  /** 'handshake' | 'switchover' | 'drill' | 'failover' | 'rejoin' */
  kind: string
  /** The step of that name; names come from record.steps (planned when the operation was created). */
  step(name: string, record: Rec): StepSpec<Ctx>
  /** Resolves agents, in-memory secrets, memos. A coded error fails the operation before any step runs. */
  context(run: OperationRun<Rec>): Promise<Ctx>
  /**
   * After a failure or cancellation: undo what is safe to undo. The note is appended to the error detail, the fix to
   * the error's fix, and the patch written with the final state. It reads where things stand before it acts: one that
   * throws unfinished (an agent gave no answer, or answered busy) is run again from its start with a context built
   * anew, for up to VAULT_DR_AGENT_RETURN_MS, as a step marked rerunWhenUnanswered is; a stopping gateway ends the
   * wait, and the run that resumes the operation compensates again.
   */
  compensate?(ctx: Ctx, why: 'failed' | 'cancelled'): Promise<Compensation<Rec>>
  /**
   * What the error says when compensating threw (after its waits): appended as compensate's answer would be. Without
   * it, the error ends the run with the operation as on record, compensated again when resumed.
   */
  compensationFailed?(ctx: Ctx, err: unknown): Compensation<Rec>
  /** The request that creates one (e.g. 'POST /v1/switchovers'): a cancelled one's fix says to send it again. */
  createdBy?: string
  /** Appended to a step's detail when a cancel arrived past the point of no return. */
  lateCancelNote?: string
  /**
   * Work that follows from a success, run by the gateway that ended it once its end is written, its lease released and
   * its runner slot given back (not again after a crash: it must be work something else also does in time). A failure
   * is logged; the outcome stands.
   */
  afterSuccess?(record: Rec): Promise<void>
}

/** Builds a kind from the gateway's shared services; app.ts registers one factory per kind. */
export type OperationKindFactory<Deps> = (deps: Deps) => OperationKind<OperationRecord, unknown>
