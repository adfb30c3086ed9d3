import { CoreErrors } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { HandshakeSettings } from '../config.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import { type HandshakePatch, type HandshakeRecord, LeaseLost, type NewEvent, type Store } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import type { HandshakeBus } from './handshake-bus.ts'
import { stepOf } from './handshake-record.ts'
import { type HandshakeState, STEP_NAMES, type Step, type StepError, type StepName } from './handshakes.schemas.ts'
import { pendingRevocationFix } from './pending-revocations.ts'
import { revokeUnused } from './revoke-unused.ts'
import { rememberingAgents, StatusMemo } from './status-memo.ts'
import { StepCancelled, type StepContext, type StepResult, type StepTable, toStepError } from './step-context.ts'
import { CANCELLABLE, INTERRUPTIBLE, PAST_ACTIVATION } from './steps/index.ts'
import { TokenKeeper } from './token-keeper.ts'

export interface RunnerHooks {
  /** Runs before each step starts; tests stop the gateway here, as if it had crashed between steps. */
  beforeStep?: (handshakeId: string, step: StepName) => Promise<void> | void
}

export interface DriverDeps {
  store: Store
  bus: HandshakeBus
  metrics: GatewayMetrics
  settings: HandshakeSettings
  now: () => number
  log: FastifyBaseLogger
  hooks: RunnerHooks
  steps: StepTable
}

export interface RunSignals {
  /** Stop now (gateway closing past its grace, or the lease was lost): abandon the step, write nothing more. */
  hard: AbortSignal
  /** The gateway is stopping: end at the next step boundary; steps that change nothing are interrupted. */
  soft: AbortSignal
  /** Cancellation asked of this gateway: interrupts steps that change nothing. */
  cancel: AbortSignal
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Added to the outcome of a step a cancellation arrived too late to stop. */
const LATE_CANCEL =
  ' (cancel requested once the activation was sent: the secondary was wiped already, so the handshake ran to its end)'

/** Runs a handshake from its first unfinished step to the end, writing each transition before acting on it. */
export async function driveHandshake(
  deps: DriverDeps,
  record: HandshakeRecord,
  agents: { primary: PrimaryAgentClient; secondary: SecondaryAgentClient },
  signals: RunSignals,
  /** This process's lease on the handshake: every write is fenced by it (LeaseLost once another holds it). */
  owner?: string,
): Promise<void> {
  const { store, now } = deps
  const write = async (patch: HandshakePatch, event?: NewEvent) => {
    signals.hard.throwIfAborted()
    const at = iso(now())
    const { cancel_requested } = await store.updateHandshake(ctx.hs.id, patch, at, event, owner)
    ctx.hs = { ...ctx.hs, ...patch, updated_at: at, cancel_requested }
    deps.bus.notify(ctx.hs.id)
  }
  const statuses = new StatusMemo()
  const ctx: StepContext = {
    hs: record,
    ...rememberingAgents(agents, statuses, record.secondary_id),
    statuses,
    tokens: new TokenKeeper(),
    settings: deps.settings,
    signal: signals.hard,
    cancelRequested: async () => signals.cancel.aborted || (await store.cancelRequested(ctx.hs.id)),
    secondaryIdHistory: () => store.secondaryIdHistory(ctx.hs.primary, ctx.hs.secondary_id, ctx.hs.id),
    now,
    log: deps.log,
    save: (patch, event) => write(patch, event),
  }
  const setStep = (step: Step) => {
    deps.log.info({ handshake: ctx.hs.id, step: step.name, status: step.status, detail: step.detail }, 'handshake step')
    return write(
      { steps: ctx.hs.steps.map((s) => (s.name === step.name ? step : s)) },
      { type: 'step', data: { step } },
    )
  }

  /** Marks every step not yet done as skipped, and ends the handshake. */
  const finish = async (state: HandshakeState, error: StepError | null, skipDetail: string, revokePending = false) => {
    const at = iso(now())
    const steps = ctx.hs.steps.map((s): Step => {
      if (s.status === 'pending') return { ...s, status: 'skipped', detail: skipDetail }
      if (s.status === 'running')
        return { ...s, status: 'skipped', finished_at: at, detail: `interrupted: ${skipDetail}` }
      return s
    })
    const patch = { steps, state, error, finished_at: at, ...(revokePending ? { revoke_pending: true } : {}) }
    await write(patch, { type: 'state', data: { state, error } })
    deps.log.info({ handshake: ctx.hs.id, state, code: error?.code }, 'handshake finished')
  }

  /** After a step failed (recorded): revoke an unused token's id, and end the handshake with the step's error. */
  const endFailed = async (name: StepName, step: Step) => {
    ctx.signal = signals.hard
    const error = step.error ?? { code: CoreErrors.internal.code, detail: step.detail ?? 'failed', fix: null }
    const revoked = await revokeUnused(ctx)
    const detail = `${name}: ${step.detail ?? error.detail}${revoked.note}`
    const fix = revoked.pending ? pendingRevocationFix(ctx.hs.secondary_id, error.fix) : error.fix
    return finish('failed', { ...error, detail, fix }, `not run: ${name} failed`, revoked.pending)
  }

  const cancel = async () => {
    ctx.signal = signals.hard
    const revoked = await revokeUnused(ctx)
    const detail = `cancelled by request${revoked.note}`
    const fix = revoked.pending ? pendingRevocationFix(ctx.hs.secondary_id, null) : null
    const error = { code: GatewayErrors.cancelled.code, detail, fix }
    await finish('cancelled', error, 'not run: cancelled', revoked.pending)
  }

  if (ctx.hs.state === 'pending') await write({ state: 'running' }, { type: 'state', data: { state: 'running' } })
  for (const name of STEP_NAMES) {
    const step = stepOf(ctx.hs, name)
    if (step.status === 'succeeded' || step.status === 'skipped') continue
    if (signals.soft.aborted) return
    // A run stopped after recording this step's failure but before ending the handshake: end it, do not run it again.
    if (step.status === 'failed') return endFailed(name, step)
    // ctx.hs is as the last write left it (a write returns the stored record), cancel_requested included.
    // An activation a stopped gateway may have sent is for activate_secondary to find out; verify always runs.
    const maybeSent = name === 'verify' || (name === 'activate_secondary' && step.status === 'running')
    if (!maybeSent && (ctx.hs.cancel_requested || signals.cancel.aborted)) return cancel()
    await raceAbort(Promise.resolve(deps.hooks.beforeStep?.(ctx.hs.id, name)), signals.hard)
    signals.hard.throwIfAborted()
    const resumed = step.status === 'running'
    const running: Step = {
      ...step,
      status: 'running',
      started_at: iso(now()),
      finished_at: null,
      detail: resumed ? 'resumed after a restart' : null,
      error: null,
    }
    await setStep(running)
    ctx.signal = AbortSignal.any([
      signals.hard,
      ...(INTERRUPTIBLE.has(name) ? [signals.soft] : []),
      ...(CANCELLABLE.has(name) ? [signals.cancel] : []),
    ])
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    const late = async () => (PAST_ACTIVATION.has(name) && (await ctx.cancelRequested()) ? LATE_CANCEL : '')
    let result: StepResult
    try {
      result = await raceAbort(deps.steps[name](ctx), ctx.signal)
    } catch (err) {
      if (signals.hard.aborted) return
      // Another process holds the handshake now: write nothing more, it carries on from the store.
      if (err instanceof LeaseLost) throw err
      if (err instanceof StepCancelled || (signals.cancel.aborted && !PAST_ACTIVATION.has(name))) return cancel()
      // Stopping: the step stays running in the store, and is re-run (idempotently) on resume.
      if (signals.soft.aborted) return
      const error = toStepError(err)
      deps.metrics.observeStep(name, 'failed', seconds())
      deps.metrics.countFailure(error.code)
      const detail = `${error.detail}${await late()}`
      const failed: Step = { ...running, status: 'failed', finished_at: iso(now()), detail, error }
      await setStep(failed)
      return endFailed(name, failed)
    }
    // Outside the step's try: a write that fails here is not the step's failure (it did its work). It ends this run
    // with the step still running in the store, to be resumed, and re-run idempotently, from there.
    deps.metrics.observeStep(name, result.status, seconds())
    const detail = `${result.detail}${await late()}`
    await setStep({ ...running, status: result.status, finished_at: iso(now()), detail })
    if (result.skipRest !== undefined) return finish('succeeded', null, result.skipRest)
  }
  await finish('succeeded', null, 'not run')
}
