import { isCodedError } from '@vault-dr/core'
import { diagnosisCode } from '../agents/diagnosis-code.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { OperationStep, StepError } from './operations.schemas.ts'

export interface StepResult {
  status: 'succeeded' | 'skipped'
  detail: string
  /** Every later step is skipped with this detail and the operation succeeds (nothing left to do). */
  skipRest?: string
}

/** A step failed with a diagnosis that is not (only) a coded error, e.g. a failed preflight check. */
export class StepFailed extends Error {
  readonly error: StepError

  constructor(error: StepError) {
    super(error.detail)
    this.name = 'StepFailed'
    this.error = error
  }
}

/** A step noticed a cancellation before doing anything irreversible: the operation is cancelled. */
export class StepCancelled extends Error {
  constructor() {
    super('cancelled by request')
    this.name = 'StepCancelled'
  }
}

/** The diagnosis of a failure: the agent's own code when it gave one, ours otherwise. */
export function toStepError(err: unknown): StepError {
  if (err instanceof StepFailed) return err.error
  if (isCodedError(err)) return { code: diagnosisCode(err), detail: err.message, fix: err.fix ?? null }
  return {
    code: GatewayErrors.internal.code,
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    fix: GatewayErrors.internal('').fix ?? null,
  }
}

export function pendingStep<Name extends string>(name: Name): OperationStep & { name: Name } {
  return { name, status: 'pending', started_at: null, finished_at: null, detail: null, error: null }
}
