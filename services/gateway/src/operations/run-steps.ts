import { type CodedError, CoreErrors, isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import { GatewayErrors } from '../gateway-errors.ts'
import { LeaseLost } from '../store/store.ts'
import type { UpdateOptions } from '../store/update-outcome.ts'
import { raceAbort } from '../util/abort.ts'
import type { OperationBus } from './operation-bus.ts'
import { type JournalRecord, type NewJournalEvent, type OperationJournal, stepOf } from './operation-journal.ts'
import type { Compensation, OperationKind, OperationRun } from './operation-kind.ts'
import type { OperationState, OperationStep, StepError } from './operations.schemas.ts'
import { rerunWhileUnfinished } from './rerun-unfinished.ts'
import { StepCancelled, type StepResult, toStepError } from './step.ts'

/** What a kind's context throws when the clusters an operation holds are gone or no longer in their role. */
const CONTEXT_GONE: ReadonlySet<string> = new Set([
  GatewayErrors.clusterNotFound.code,
  GatewayErrors.unknownCluster.code,
  GatewayErrors.clusterRole.code,
])

export interface RunnerHooks {
  /**
   * Runs before each step starts, the step before it recorded as ended; tests stop the gateway here, as if it had
   * crashed between steps. (With no hook, a step's end is written with the next step's start.)
   */
  beforeStep?: (operationId: string, step: string) => Promise<void> | void
}

export interface StepMetrics {
  observeStep(kind: string, step: string, status: string, seconds: number): void
  countFailure(kind: string, code: string): void
}

export interface RunStepsDeps {
  bus: OperationBus
  metrics?: StepMetrics | undefined
  now: () => number
  log: FastifyBaseLogger
  hooks: RunnerHooks
  /** How long a step marked rerunWhenUnanswered is run again while an agent gives it no answer (0: not at all). */
  agentReturnMs?: number
}

export interface RunSignals {
  /** Stop now (gateway closing past its grace, or the lease was lost): abandon the step, write nothing more. */
  hard: AbortSignal
  /** The gateway is stopping: end at the next step boundary; steps that change nothing are interrupted. */
  soft: AbortSignal
  /** Cancellation asked of this gateway: interrupts cancellable steps. */
  cancel: AbortSignal
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Added to a step past the point of no return that failed after a cancellation was asked. */
export const LATE_CANCEL_ON_FAILURE =
  ' (a cancel was requested past the point of no return: it did not stop the operation, which failed here on its own)'

/**
 * Whether a step past the point of no return has started (a step skipped when the operation ended never started):
 * from then on a cancellation no longer stops the operation.
 */
export function pastPointOfNoReturn<Rec extends JournalRecord>(
  kind: OperationKind<Rec, unknown>,
  record: Rec,
): boolean {
  return record.steps.some(
    (s) => s.status !== 'pending' && s.started_at !== null && kind.step(s.name, record).pastPointOfNoReturn === true,
  )
}

/**
 * Runs an operation from its first unfinished step (record.steps, in order) to the end, writing each transition
 * before acting on it. A step found running (a run stopped mid-way) is run again: steps are idempotent, or find
 * out what happened.
 */
export async function runSteps<Rec extends JournalRecord, Ctx>(
  deps: RunStepsDeps,
  kind: OperationKind<Rec, Ctx>,
  journal: OperationJournal<Rec>,
  record: Rec,
  signals: RunSignals,
  /** This process's lease on the operation: every write is fenced by it (LeaseLost once another holds it). */
  owner?: string,
): Promise<void> {
  const { now } = deps
  let current = record
  let signal = signals.hard
  /**
   * A transition made but not written yet: it goes with the next write, so a step boundary (a step's end and the
   * next one's start, or the operation's end) is one journal write. Only transitions after which nothing acts
   * before the next write are held back; `current` already shows them.
   */
  let held: { patch: Partial<Rec>; events: NewJournalEvent[]; steps: OperationStep[] } = {
    patch: {},
    events: [],
    steps: [],
  }
  /** Writes `patch` with what is held back; false when unlessCancelled found a cancellation and wrote nothing. */
  const write = async (patch: Partial<Rec>, event?: NewJournalEvent, opts?: UpdateOptions): Promise<boolean> => {
    signals.hard.throwIfAborted()
    const at = iso(now())
    const merged = { ...held.patch, ...patch }
    const events = event === undefined ? held.events : [...held.events, event]
    const { cancel_requested, skipped } = await journal.update(current.id, merged, at, events, owner, opts)
    if (skipped) {
      current = { ...current, cancel_requested }
      return false
    }
    const written = held.steps
    held = { patch: {}, events: [], steps: [] }
    current = { ...current, ...merged, updated_at: at, cancel_requested }
    deps.bus.notify(current.id)
    // A step change held back is logged once the store holds it.
    for (const step of written) logStep(step)
    return true
  }
  const hold = (patch: Partial<Rec>, event?: NewJournalEvent, step?: OperationStep) => {
    held = {
      patch: { ...held.patch, ...patch },
      events: event === undefined ? held.events : [...held.events, event],
      steps: step === undefined ? held.steps : [...held.steps, step],
    }
    current = { ...current, ...patch }
  }
  const writeHeld = async () => {
    if (Object.keys(held.patch).length > 0) await write({})
  }
  const cancelRequested = async () => signals.cancel.aborted || (await journal.cancelRequested(current.id))
  const run: OperationRun<Rec> = {
    record: () => current,
    save: async (patch, event) => {
      await write(patch, event)
    },
    signal: () => signal,
    cancelRequested,
    now,
    log: deps.log,
    lease: owner === undefined ? undefined : { operation: record.id, owner },
  }
  const label = { [kind.kind]: record.id }
  const isStoreKeyMismatch = (err: unknown): err is CodedError =>
    isCodedError(err) && err.code === GatewayErrors.storeKeyMismatch.code
  /**
   * Another store key: nothing is wrong with the operation. Leave it as it is (the lease is released), so a gateway
   * with the right key resumes it.
   */
  const leftForTheRightKey = (err: CodedError) => {
    deps.log.error(
      { ...label, code: err.code, detail: err.message },
      `${kind.kind} left unfinished: restart the gateway with the store key it was written with to resume it`,
    )
  }
  let ctx: Ctx
  try {
    ctx = await kind.context(run)
  } catch (err) {
    if (isStoreKeyMismatch(err)) return leftForTheRightKey(err)
    // Only a context that cannot be had at all ends the operation; anything else (a store without its quorum for a
    // moment) leaves it as on record, released for the next scan to resume: ended here, a run past its point of no
    // return would skip its compensation (a failover's fence).
    if (isCodedError(err) && CONTEXT_GONE.has(err.code)) return failUnrunnable(toStepError(err))
    throw err
  }
  /**
   * `act` as attempts: each after the first starts from a context built anew, as a resumed run's (the agents as
   * registered now: an agent moved meanwhile is reached where it is), nothing remembered from the attempt before.
   */
  const freshEachAttempt = <T>(act: (c: Ctx) => Promise<T>, signalNow: () => AbortSignal) => {
    let attempts = 0
    return async () => {
      if (attempts++ > 0) ctx = await raceAbort(kind.context(run), signalNow())
      return act(ctx)
    }
  }
  const stepsPatch = (steps: OperationStep[]) => ({ steps }) as Partial<Rec>
  const logStep = (step: OperationStep) =>
    deps.log.info({ ...label, step: step.name, status: step.status, detail: step.detail }, `${kind.kind} step`)
  const stepChange = (step: OperationStep): [Partial<Rec>, NewJournalEvent] => {
    const steps = current.steps.map((s) => (s.name === step.name ? step : s))
    return [stepsPatch(steps), { type: 'step', data: { step } }]
  }
  const setStep = async (step: OperationStep) => {
    await write(...stepChange(step))
    logStep(step)
  }

  /** Ends an operation whose context cannot be had (its clusters are gone or changed role): no step runs. */
  async function failUnrunnable(error: StepError): Promise<void> {
    const at = iso(now())
    const steps = current.steps.map(
      (s): OperationStep =>
        s.status === 'pending' || s.status === 'running'
          ? { ...s, status: 'skipped', detail: `not run: ${error.code}` }
          : s,
    )
    const patch = { state: 'failed', steps, error, finished_at: at } as Partial<Rec>
    await write(patch, { type: 'state', data: { state: 'failed', error } })
  }

  /** Marks every step not yet done as skipped, and ends the operation. */
  const finish = async (state: OperationState, error: StepError | null, skipDetail: string, extra?: Partial<Rec>) => {
    const at = iso(now())
    const steps = current.steps.map((s): OperationStep => {
      if (s.status === 'pending') return { ...s, status: 'skipped', detail: skipDetail }
      if (s.status === 'running')
        return { ...s, status: 'skipped', finished_at: at, detail: `interrupted: ${skipDetail}` }
      return s
    })
    const patch = { steps, state, error, finished_at: at, ...extra } as Partial<Rec>
    await write(patch, { type: 'state', data: { state, error } })
    deps.log.info({ ...label, state, code: error?.code }, `${kind.kind} finished`)
  }

  /**
   * The kind's compensation, run again from its start while an agent gives it no answer, as a marked step is;
   * undefined when the gateway stopped before it ended: the run that resumes the operation compensates again.
   */
  async function compensate(why: 'failed' | 'cancelled'): Promise<Compensation<Rec> | undefined> {
    const undo = kind.compensate
    if (undo === undefined) return { note: '' }
    const attempt = freshEachAttempt(
      (c) => undo(c, why),
      () => signals.hard,
    )
    try {
      const ran = await rerunWhileUnfinished(attempt, {
        forMs: deps.agentReturnMs ?? 0,
        signal: AbortSignal.any([signals.hard, signals.soft]),
        onUnfinished: async (err, n) => {
          const { code, detail } = toStepError(err)
          deps.log.warn({ ...label, code, attempts: n }, `${kind.kind}: undoing waits for an agent: ${detail}`)
        },
      })
      return ran.value
    } catch (err) {
      if (err instanceof LeaseLost) throw err
      if (signals.hard.aborted || signals.soft.aborted) return undefined
      if (isStoreKeyMismatch(err)) {
        leftForTheRightKey(err)
        return undefined
      }
      // A kind that cannot say what its failed compensation means leaves the operation as it is: the run that resumes
      // it compensates again (a failover's fence must be written, not noted as failed).
      if (kind.compensationFailed === undefined) throw err
      return kind.compensationFailed(ctx, err)
    }
  }

  /** Undoes what is safe to undo, and ends the operation with the error, the compensation's note appended. */
  const endWith = async (state: 'failed' | 'cancelled', error: StepError, skipDetail: string) => {
    signal = signals.hard
    // What compensating finds must be on record before it acts.
    await writeHeld()
    const undone = await compensate(state)
    // Stopping: the operation stays as on record (a failed step, or a cancellation asked), ended when resumed.
    if (undone === undefined) return
    const fixes = [undone.replacesFix === true ? null : error.fix, undone.fix ?? null].filter(
      (f): f is string => f !== null,
    )
    const ended = {
      ...error,
      detail: `${error.detail}${undone.note}`,
      fix: fixes.length === 0 ? null : fixes.join(' '),
    }
    return finish(state, ended, skipDetail, undone.patch)
  }

  /** After a step failed (recorded): end the operation with the step's error. */
  const endFailed = (name: string, step: OperationStep) => {
    const error = step.error ?? { code: CoreErrors.internal.code, detail: step.detail ?? 'failed', fix: null }
    return endWith('failed', { ...error, detail: `${name}: ${step.detail ?? error.detail}` }, `not run: ${name} failed`)
  }

  const cancel = () =>
    endWith(
      'cancelled',
      {
        code: GatewayErrors.cancelled.code,
        detail: 'cancelled by request',
        fix:
          kind.createdBy === undefined ? null : `Ask for the ${kind.kind} again (${kind.createdBy}) when it is wanted.`,
      },
      'not run: cancelled',
    )

  if (current.state === 'pending') {
    hold({ state: 'running' } as Partial<Rec>, { type: 'state', data: { state: 'running' } })
  }
  for (const { name } of record.steps) {
    const step = stepOf(current, name)
    if (step.status === 'succeeded' || step.status === 'skipped') continue
    if (signals.soft.aborted) return writeHeld()
    // A run stopped after recording this step's failure but before ending the operation: end it, do not run it again.
    if (step.status === 'failed') return endFailed(name, step)
    const spec = kind.step(name, current)
    // current is as the last write left it (a write returns what others changed), cancel_requested included. Once
    // a step past the point of no return started (this one, resumed, included), the operation runs to its end.
    const committed = pastPointOfNoReturn(kind, current)
    if (!committed && (current.cancel_requested || signals.cancel.aborted)) return cancel()
    if (deps.hooks.beforeStep !== undefined) {
      await writeHeld()
      await raceAbort(Promise.resolve(deps.hooks.beforeStep(current.id, name)), signals.hard)
    }
    signals.hard.throwIfAborted()
    const resumed = step.status === 'running'
    const running: OperationStep = {
      ...step,
      status: 'running',
      started_at: iso(now()),
      finished_at: null,
      detail: resumed ? 'resumed after a restart' : null,
      error: null,
    }
    // The first step past the point of no return goes on record only in a write that finds no cancellation (one
    // transaction): a cancellation that came first stops the operation with the step never started; one that comes
    // after finds the step on record, and the operation runs to its end. So a cancellation's answer, judged from the
    // record it was written to, says which (Operation.past_point_of_no_return), and a resumed run agrees with it.
    if (spec.pastPointOfNoReturn && !committed) {
      if (signals.cancel.aborted || !(await write(...stepChange(running), { unlessCancelled: true }))) return cancel()
      logStep(running)
    } else await setStep(running)
    // Any other step: the write just made says whether a cancellation reached the store; the step has not acted.
    if (!committed && !spec.pastPointOfNoReturn && (current.cancel_requested || signals.cancel.aborted)) {
      return cancel()
    }
    signal = AbortSignal.any([
      signals.hard,
      ...(spec.interruptible ? [signals.soft] : []),
      ...(spec.cancellable ? [signals.cancel] : []),
    ])
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    // Said once, on the first step that ran after the cancellation was asked (not on every step to the end).
    const noted = (note: string) => current.steps.some((s) => s.name !== name && s.detail?.endsWith(note))
    // The kind's note says the operation ran on to its safe end: true of a step that succeeded only. One that failed
    // says the cancellation was not what ended it (the compensation's note says where things stand).
    const late = async (failed = false) => {
      const note = failed ? LATE_CANCEL_ON_FAILURE : kind.lateCancelNote
      return spec.pastPointOfNoReturn && note !== undefined && !noted(note) && (await cancelRequested()) ? note : ''
    }
    let result: StepResult
    let unanswered = 0
    try {
      const attempt = freshEachAttempt(
        (c) => raceAbort(spec.run(c), signal),
        () => signal,
      )
      // Not marked, or 0: the first unfinished attempt fails the step.
      const returnMs = spec.rerunWhenUnanswered ? (deps.agentReturnMs ?? 0) : 0
      const within = `${Math.round(returnMs / 1000)} s`
      const ran = await rerunWhileUnfinished(attempt, {
        forMs: returnMs,
        // Waiting changes nothing: a stopping gateway leaves the step running in the store, re-run on resume.
        signal: AbortSignal.any([signal, signals.soft]),
        onUnfinished: (err, n) =>
          setStep({
            ...running,
            detail: `${toStepError(err).detail}: the step runs again from its start in a moment (${n} unfinished, for up to ${within})`,
          }),
      })
      result = ran.value
      unanswered = ran.unanswered
    } catch (err) {
      if (signals.hard.aborted) return
      // Another process holds the operation now: write nothing more, it carries on from the store.
      if (err instanceof LeaseLost) throw err
      // The context built anew for an attempt after the first: another store key, as at a run's start.
      if (isStoreKeyMismatch(err)) return leftForTheRightKey(err)
      if (err instanceof StepCancelled || (signals.cancel.aborted && !spec.pastPointOfNoReturn)) return cancel()
      // Stopping: the step stays running in the store, and is re-run (idempotently) on resume.
      if (signals.soft.aborted) return
      const error = toStepError(err)
      deps.metrics?.observeStep(kind.kind, name, 'failed', seconds())
      deps.metrics?.countFailure(kind.kind, error.code)
      const detail = `${error.detail}${kind.lateCancelNote === undefined ? '' : await late(true)}`
      const failed: OperationStep = { ...running, status: 'failed', finished_at: iso(now()), detail, error }
      await setStep(failed)
      return endFailed(name, failed)
    }
    // Outside the step's try: a write that fails here is not the step's failure (it did its work). It ends this run
    // with the step still running in the store, to be resumed, and re-run idempotently, from there.
    deps.metrics?.observeStep(kind.kind, name, result.status, seconds())
    const rerun = unanswered === 0 ? '' : ` (run again after ${unanswered} unfinished attempt(s))`
    const detail = `${result.detail}${rerun}${await late()}`
    const ended: OperationStep = { ...running, status: result.status, finished_at: iso(now()), detail }
    hold(...stepChange(ended), ended)
    if (result.skipRest !== undefined) return finish('succeeded', null, result.skipRest)
  }
  await finish('succeeded', null, 'not run')
}
