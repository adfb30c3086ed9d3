import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { HandshakeSettings } from '../config.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import type { HandshakePatch, HandshakeRecord, NewEvent, Store } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import type { HandshakeBus } from './handshake-bus.ts'
import { stepOf } from './handshake-record.ts'
import { type HandshakeState, STEP_NAMES, type Step, type StepError, type StepName } from './handshakes.schemas.ts'
import { type StepContext, type StepTable, toStepError } from './step-context.ts'
import { INTERRUPTIBLE } from './steps/index.ts'
import { activatedWith, pairStatus } from './steps/replication-state.ts'
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

/** Runs a handshake from its first unfinished step to the end, writing each transition before acting on it. */
export async function driveHandshake(
  deps: DriverDeps,
  record: HandshakeRecord,
  agents: { primary: PrimaryAgentClient; secondary: SecondaryAgentClient },
  signals: RunSignals,
): Promise<void> {
  const { store, now } = deps
  const write = async (patch: HandshakePatch, event?: NewEvent) => {
    signals.hard.throwIfAborted()
    ctx.hs = await store.updateHandshake(ctx.hs.id, patch, iso(now()), event)
    deps.bus.notify(ctx.hs.id)
  }
  const ctx: StepContext = {
    hs: record,
    ...agents,
    tokens: new TokenKeeper(),
    settings: deps.settings,
    signal: signals.hard,
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
  const finish = async (state: HandshakeState, error: StepError | null, skipDetail: string) => {
    const at = iso(now())
    const steps = ctx.hs.steps.map((s): Step => {
      if (s.status === 'pending') return { ...s, status: 'skipped', detail: skipDetail }
      if (s.status === 'running')
        return { ...s, status: 'skipped', finished_at: at, detail: `interrupted: ${skipDetail}` }
      return s
    })
    await write({ steps, state, error, finished_at: at }, { type: 'state', data: { state, error } })
    deps.log.info({ handshake: ctx.hs.id, state, code: error?.code }, 'handshake finished')
  }

  /** An unused token must not outlive a handshake that ends without activation: revoke its id. */
  const revokeUnused = async (): Promise<string> => {
    ctx.signal = signals.hard
    const mint = stepOf(ctx.hs, 'mint_token').status
    if (ctx.hs.token === null && (mint === 'pending' || mint === 'skipped')) return ''
    if (stepOf(ctx.hs, 'activate_secondary').status === 'succeeded') return ''
    try {
      const pair = await pairStatus(ctx)
      const id = ctx.hs.secondary_id
      if (activatedWith(pair, id) || !pair.primary.replication?.known_secondaries.includes(id)) return ''
      await ctx.primary.revoke(id, signals.hard)
      ctx.tokens.forget()
      return `; revoked the unused secondary id ${id}`
    } catch (err) {
      return `; could not revoke ${ctx.hs.secondary_id}: ${(err as Error).message}`
    }
  }

  const cancel = async () => {
    const revoked = await revokeUnused()
    const detail = `cancelled by request${revoked}`
    await finish('cancelled', { code: GatewayErrors.cancelled.code, detail, fix: null }, 'not run: cancelled')
  }

  if (ctx.hs.state === 'pending') await write({ state: 'running' }, { type: 'state', data: { state: 'running' } })
  for (const name of STEP_NAMES) {
    const step = stepOf(ctx.hs, name)
    if (step.status === 'succeeded' || step.status === 'skipped') continue
    if (signals.soft.aborted) return
    ctx.hs = (await store.getHandshake(ctx.hs.id)) ?? ctx.hs
    if (ctx.hs.cancel_requested || signals.cancel.aborted) return cancel()
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
    ctx.signal = INTERRUPTIBLE.has(name) ? AbortSignal.any([signals.hard, signals.soft, signals.cancel]) : signals.hard
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    try {
      const result = await raceAbort(deps.steps[name](ctx), ctx.signal)
      deps.metrics.observeStep(name, result.status, seconds())
      await setStep({ ...running, status: result.status, finished_at: iso(now()), detail: result.detail })
      if (result.skipRest !== undefined) return finish('succeeded', null, result.skipRest)
    } catch (err) {
      // Stopping: the step stays running in the store, and is re-run (idempotently) on resume.
      if (signals.hard.aborted || (signals.soft.aborted && !signals.cancel.aborted)) return
      if (signals.cancel.aborted) return cancel()
      const error = toStepError(err)
      deps.metrics.observeStep(name, 'failed', seconds())
      deps.metrics.countFailure(error.code)
      await setStep({ ...running, status: 'failed', finished_at: iso(now()), detail: error.detail, error })
      const revoked = await revokeUnused()
      return finish('failed', { ...error, detail: `${name}: ${error.detail}${revoked}` }, `not run: ${name} failed`)
    }
  }
  await finish('succeeded', null, 'not run')
}
