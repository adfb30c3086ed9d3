import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineError } from '@vault-dr/core'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { MemoryOperationStore } from '../../test/helpers/memory-operation-store.ts'
import { callAgent } from '../agents/agent-call.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { storeUnavailable } from '../store/etcd-errors.ts'
import { LeaseLost } from '../store/store.ts'
import { genericJournal } from './journals.ts'
import { OperationBus } from './operation-bus.ts'
import type { OperationKind, OperationRun } from './operation-kind.ts'
import type { OperationRecord } from './operation-record.ts'
import { type OperationFamily, OperationRunner } from './operation-runner.ts'
import type { OperationStep } from './operations.schemas.ts'
import { LATE_CANCEL_ON_FAILURE, pastPointOfNoReturn, type RunSignals, runSteps } from './run-steps.ts'
import { pendingStep, type StepResult } from './step.ts'

const log = pino({ level: 'silent' })
const STEP_NAMES = ['prepare', 'commit', 'confirm'] as const
type Name = (typeof STEP_NAMES)[number]
type Ctx = { run: OperationRun<OperationRecord> }
type Behaviour = (ctx: Ctx) => Promise<StepResult>

const done =
  (detail: string): Behaviour =>
  async () => ({ status: 'succeeded', detail })

/** A three-step kind: prepare changes nothing (interruptible, cancellable); commit is past the point of no return. */
function fakeKind(
  behaviour: Partial<Record<Name, Behaviour>>,
  ran: string[],
  undone: string[] = [],
  /** Steps marked rerunWhenUnanswered. */
  rerun: Name[] = [],
) {
  const kind: OperationKind<OperationRecord, Ctx> = {
    kind: 'drill',
    createdBy: 'POST /v1/drills',
    step: (name) => ({
      name,
      run: async (ctx) => {
        ran.push(name)
        // Written before it runs: the store shows the step running while it does.
        expect(ctx.run.record().steps.find((s) => s.name === name)?.status).toBe('running')
        return (behaviour[name as Name] ?? done(`${name} done`))(ctx)
      },
      interruptible: name === 'prepare',
      cancellable: name === 'prepare',
      pastPointOfNoReturn: name !== 'prepare',
      rerunWhenUnanswered: rerun.includes(name as Name),
    }),
    context: async (run) => ({ run }),
    compensate: async (_ctx, why) => {
      undone.push(why)
      return { note: '; undid prepare', fix: 'Start again.' }
    },
    lateCancelNote: ' (cancel requested past the point of no return)',
  }
  return kind
}

function newRecord(patch: Partial<OperationRecord> = {}): OperationRecord {
  const at = new Date().toISOString()
  return {
    id: randomUUID(),
    kind: 'drill',
    state: 'pending',
    clusters: ['dc1', 'dc2'],
    subject: { primary: 'dc1' },
    data: {},
    steps: STEP_NAMES.map(pendingStep),
    error: null,
    cancel_requested: false,
    idempotency_key: null,
    request_hash: null,
    created_at: at,
    updated_at: at,
    finished_at: null,
    ...patch,
  }
}

function signals(): RunSignals & { abort: Record<'hard' | 'soft' | 'cancel', AbortController> } {
  const abort = { hard: new AbortController(), soft: new AbortController(), cancel: new AbortController() }
  return { abort, hard: abort.hard.signal, soft: abort.soft.signal, cancel: abort.cancel.signal }
}

async function setUp(record = newRecord(), agentReturnMs = 0, logger: pino.Logger = log) {
  const store = new MemoryOperationStore()
  await store.createOperation(record)
  const owner = 'gw-a/1'
  await store.claimOperation(record.id, owner, Date.now(), Date.now() + 60_000)
  const deps = { bus: new OperationBus(), now: Date.now, log: logger, hooks: {}, agentReturnMs }
  const drive = async (kind: OperationKind<OperationRecord, Ctx>, s = signals()) =>
    runSteps(deps, kind, genericJournal(store), (await store.getOperation(record.id)) as OperationRecord, s, owner)
  const stored = async () => (await store.getOperation(record.id)) as OperationRecord
  return { store, drive, stored, id: record.id }
}

const statuses = (op: OperationRecord) => op.steps.map((s) => s.status)

describe('the operations engine (a fake three-step kind, in-memory journal)', () => {
  it('runs record.steps in order, writing each step before it runs, and succeeds', async () => {
    const { drive, stored, store, id } = await setUp()
    const ran: string[] = []
    const writes = vi.spyOn(store, 'updateOperation')
    await drive(fakeKind({}, ran))
    expect(ran).toEqual(['prepare', 'commit', 'confirm'])
    const op = await stored()
    expect(op.state).toBe('succeeded')
    expect(statuses(op)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    const types = (await store.operationEvents(id, 0)).map((e) => e.type)
    expect(types).toEqual(['state', 'step', 'step', 'step', 'step', 'step', 'step', 'state'])
    // One write per boundary (running with the first start, an end with the next start, the last end with the
    // operation's); the one that starts the first step past the point of no return is made only if no cancellation
    // is on record (unlessCancelled).
    const written = writes.mock.calls.map(([, patch, , events]) => [
      patch.state ?? '-',
      [events ?? []].flat().map((e) => {
        const step = e.data.step as { name: string; status: string } | undefined
        return step === undefined ? e.type : `${step.name}:${step.status}`
      }),
    ])
    expect(written).toEqual([
      ['running', ['state', 'prepare:running']],
      ['-', ['prepare:succeeded', 'commit:running']],
      ['-', ['commit:succeeded', 'confirm:running']],
      ['succeeded', ['confirm:succeeded', 'state']],
    ])
  })

  it('honours a cancellation before the point of no return: compensates and ends cancelled', async () => {
    const { drive, stored, store, id } = await setUp()
    const ran: string[] = []
    const undone: string[] = []
    const prepare: Behaviour = async () => {
      await store.requestCancelOperation(id, new Date().toISOString())
      return { status: 'succeeded', detail: 'prepared' }
    }
    await drive(fakeKind({ prepare }, ran, undone))
    expect(ran).toEqual(['prepare'])
    expect(undone).toEqual(['cancelled'])
    const op = await stored()
    expect(op.state).toBe('cancelled')
    expect(op.error).toMatchObject({
      code: 'GATEWAY_ERR_CANCELLED',
      detail: 'cancelled by request; undid prepare',
      // What to send to have it after all, then what the undo adds.
      fix: 'Ask for the drill again (POST /v1/drills) when it is wanted. Start again.',
    })
    expect(statuses(op)).toEqual(['succeeded', 'skipped', 'skipped'])
    // Seen by the write of prepare's end and commit's start, which then wrote nothing (another gateway's cancel reaches
    // the store only): commit, past the point of no return, was never on record as started, so no crash could have a
    // resumed run carry it out; prepare's end is written with the cancellation's end.
    expect(op.steps[1]).toMatchObject({ detail: 'not run: cancelled', started_at: null })
    const started = (await store.operationEvents(id, 0)).map((e) => e.data.step as { name: string } | undefined)
    expect(started.map((s) => s?.name).filter((n) => n === 'commit')).toEqual([])
  })

  it('stops on a cancellation that reaches the store just before the first step past the point of no return starts', async () => {
    const { stored, store, id } = await setUp()
    const ran: string[] = []
    const kind = fakeKind({}, ran)
    let answered: OperationRecord | undefined
    // Between prepare's end (written before the hook runs) and commit's start: the write that would start commit finds
    // the cancellation and writes nothing, so the cancellation's answer (nothing past the point of no return) holds.
    // (Without a hook prepare's end is held back and goes with that write: the test above covers it.)
    const beforeStep = async (_op: string, step: string) => {
      if (step === 'commit') answered = await store.requestCancelOperation(id, new Date().toISOString())
    }
    const lines: Array<{ step?: string; status?: string }> = []
    const captured = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const deps = { bus: new OperationBus(), now: Date.now, log: captured, hooks: { beforeStep }, agentReturnMs: 0 }
    await runSteps(deps, kind, genericJournal(store), (await stored()) as OperationRecord, signals(), 'gw-a/1')
    expect(answered && pastPointOfNoReturn(kind, answered)).toBe(false)
    // The log says only what the store holds: commit never started.
    expect(lines.filter((l) => l.step === 'commit' && l.status === 'running')).toEqual([])
    expect(lines.filter((l) => l.step === 'prepare').map((l) => l.status)).toEqual(['running', 'succeeded'])
    expect(ran).toEqual(['prepare'])
    const op = await stored()
    expect(op.state).toBe('cancelled')
    expect(pastPointOfNoReturn(kind, op)).toBe(false)
    expect(op.steps.map((st) => [st.name, st.status, st.started_at === null])).toEqual([
      ['prepare', 'succeeded', false],
      ['commit', 'skipped', true],
      ['confirm', 'skipped', true],
    ])
  })

  it('interrupts a cancellable step mid-way when this gateway is asked to cancel', async () => {
    const { drive, stored } = await setUp()
    const s = signals()
    const prepare: Behaviour = async () => {
      s.abort.cancel.abort()
      return new Promise<never>(() => {})
    }
    await drive(fakeKind({ prepare }, []), s)
    const op = await stored()
    expect(op.state).toBe('cancelled')
    expect(op.steps[0]).toMatchObject({ status: 'skipped', detail: 'interrupted: not run: cancelled' })
  })

  it('runs to its end once past the point of no return, noting the late cancellation', async () => {
    const { drive, stored, store, id } = await setUp()
    const ran: string[] = []
    const undone: string[] = []
    const kind = fakeKind({ commit: async () => ({ status: 'succeeded', detail: 'committed' }) }, ran, undone)
    const commit: Behaviour = async () => {
      // What the cancellation finds on record says it will not stop the operation, as the runner then does.
      const answered = await store.requestCancelOperation(id, new Date().toISOString())
      expect(answered && pastPointOfNoReturn(kind, answered)).toBe(true)
      return { status: 'succeeded', detail: 'committed' }
    }
    await drive(fakeKind({ commit }, ran, undone))
    expect(ran).toEqual(['prepare', 'commit', 'confirm'])
    expect(undone).toEqual([])
    const op = await stored()
    expect(op.state).toBe('succeeded')
    expect(op.cancel_requested).toBe(true)
    expect(op.steps[1]?.detail).toBe('committed (cancel requested past the point of no return)')
    // Said once: the steps after it say only what they did.
    expect(op.steps[2]?.detail).toBe('confirm done')
  })

  it('a step past the point of no return that fails after a late cancellation does not claim a safe end', async () => {
    const { drive, stored, store, id } = await setUp()
    const commit: Behaviour = async () => {
      await store.requestCancelOperation(id, new Date().toISOString())
      throw new Error('boom')
    }
    await drive(fakeKind({ commit }, []))
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(op.steps[1]?.detail).toBe(`Error: boom${LATE_CANCEL_ON_FAILURE}`)
    expect(op.steps[1]?.detail).not.toContain('(cancel requested past the point of no return)')
  })

  it('fails with the step error, compensating, and skips the rest', async () => {
    const { drive, stored } = await setUp()
    const undone: string[] = []
    const commit: Behaviour = async () => {
      throw new Error('boom')
    }
    await drive(fakeKind({ commit }, [], undone))
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(undone).toEqual(['failed'])
    expect(op.error?.code).toBe('GATEWAY_ERR_INTERNAL')
    expect(op.error?.detail).toBe('commit: Error: boom; undid prepare')
    expect(statuses(op)).toEqual(['succeeded', 'failed', 'skipped'])
  })

  it('writes nothing more once the lease is lost (another process took the operation over)', async () => {
    const { drive, stored, store, id } = await setUp()
    const commit: Behaviour = async () => {
      store.leases.set(id, { owner: 'gw-b/2', until: Date.now() + 60_000 })
      return { status: 'succeeded', detail: 'committed' }
    }
    const before = { events: 0 }
    await expect(
      drive(
        fakeKind(
          {
            commit: async (ctx) => {
              const result = await commit(ctx)
              before.events = store.log.length
              return result
            },
          },
          [],
        ),
      ),
    ).rejects.toBeInstanceOf(LeaseLost)
    expect(store.log.length).toBe(before.events)
    const op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['succeeded', 'running', 'pending'])
  })

  it('logs a step change only once the store holds it: an end held back and never written is not logged', async () => {
    const lines: Array<{ step?: string; status?: string }> = []
    const captured = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const { drive, store, id } = await setUp(newRecord(), 0, captured)
    const commit: Behaviour = async () => {
      store.leases.set(id, { owner: 'gw-b/2', until: Date.now() + 60_000 })
      return { status: 'succeeded', detail: 'committed' }
    }
    await expect(drive(fakeKind({ commit }, []))).rejects.toBeInstanceOf(LeaseLost)
    const said = lines.filter((l) => l.step !== undefined).map((l) => `${l.step} ${l.status}`)
    expect(said).toEqual(['prepare running', 'prepare succeeded', 'commit running'])
  })

  it('stops at the next boundary when the gateway stops, leaving the rest resumable', async () => {
    const { drive, stored } = await setUp()
    const s = signals()
    const ran: string[] = []
    const commit: Behaviour = async () => {
      s.abort.soft.abort()
      return { status: 'succeeded', detail: 'committed' }
    }
    await drive(fakeKind({ commit }, ran), s)
    expect(ran).toEqual(['prepare', 'commit'])
    const op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['succeeded', 'succeeded', 'pending'])
  })

  it('lets a stopping gateway interrupt a step that changes nothing, to be re-run on resume', async () => {
    const { drive, stored } = await setUp()
    const s = signals()
    const prepare: Behaviour = async () => {
      s.abort.soft.abort()
      return new Promise<never>(() => {})
    }
    await drive(fakeKind({ prepare }, []), s)
    const op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['running', 'pending', 'pending'])
  })
})

/** A runner of gateway gw-a over the generic journal of `store`, every record run by `kind`. */
function runnerOver(
  store: MemoryOperationStore,
  kind: OperationKind<OperationRecord, Ctx>,
  settings: { maxRunning: number; leaseMs: number },
) {
  const family: OperationFamily<OperationRecord> = {
    name: 'operations',
    journal: genericJournal(store),
    kindOf: () => kind as OperationKind<OperationRecord, unknown>,
  }
  return new OperationRunner({
    families: [family],
    bus: new OperationBus(),
    now: Date.now,
    log,
    hooks: {},
    settings: { ...settings, gatewayId: 'gw-a' },
    stopGraceMs: 1_000,
  })
}

describe('the operation runner over the generic journal', () => {
  it('resumes an unfinished operation on start, runs it to its end and releases its lease', async () => {
    const store = new MemoryOperationStore()
    const record = newRecord({ state: 'running' })
    record.steps[0] = { ...pendingStep('prepare'), status: 'running' }
    await store.createOperation(record)
    const ran: string[] = []
    const kind = fakeKind({}, ran)
    const runner = runnerOver(store, kind, { maxRunning: 2, leaseMs: 10_000 })
    await runner.start()
    await expect.poll(async () => (await store.getOperation(record.id))?.state).toBe('succeeded')
    await runner.stop()
    expect(ran).toEqual(['prepare', 'commit', 'confirm'])
    expect(store.leases.has(record.id)).toBe(false)
  })
})

/** A runner of `kind` over `store` that scans every 100 ms (its lease), logging at debug into `lines`. */
function scanningRunner(store: MemoryOperationStore, kind: OperationKind<OperationRecord, Ctx>) {
  const lines: string[] = []
  const runner = new OperationRunner({
    families: [
      {
        name: 'operations',
        journal: genericJournal(store),
        kindOf: () => kind as OperationKind<OperationRecord, unknown>,
      },
    ],
    bus: new OperationBus(),
    now: Date.now,
    log: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
    hooks: {},
    settings: { maxRunning: 1, leaseMs: 100, gatewayId: 'gw-a' },
    stopGraceMs: 1_000,
  })
  return { runner, lines }
}

describe('a run that fails outside its steps (a record its kind cannot read)', () => {
  it('is tried again later and later, not at every scan, and said at error once', async () => {
    const store = new MemoryOperationStore()
    const record = newRecord({ state: 'running' })
    await store.createOperation(record)
    let contexts = 0
    const kind: OperationKind<OperationRecord, Ctx> = {
      ...fakeKind({}, []),
      context: async () => {
        contexts++
        throw new Error('subject: expected string, received number')
      },
    }
    // Scans every 100 ms (the lease): without the wait, about 15 runs in the 1.5 s below.
    const { runner, lines } = scanningRunner(store, kind)
    await runner.start()
    await sleep(1_500)
    await runner.stop()
    // Tried at once, then after 250 and 500 ms more (each at the first scan past its wait).
    expect(contexts).toBeGreaterThanOrEqual(2)
    expect(contexts).toBeLessThanOrEqual(5)
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50)
    expect(errors.map((l) => l.msg)).toEqual(['operations run failed'])
    expect(errors[0]).toMatchObject({ operation: record.id, retry_in_ms: 250 })
    expect((await store.getOperation(record.id))?.state).toBe('running')
  })

  it('with a code (a store refusing for a while) is tried again at every scan, and said at error once per code', async () => {
    const store = new MemoryOperationStore()
    const record = newRecord({ state: 'running' })
    await store.createOperation(record)
    let contexts = 0
    const refused = defineError({ code: 'TEST_ERR_REFUSED', status: 503, title: 'refused', fix: 'wait' })
    const unavailable = defineError({ code: 'TEST_ERR_UNAVAILABLE', status: 503, title: 'unavailable', fix: 'wait' })
    const kind: OperationKind<OperationRecord, Ctx> = {
      ...fakeKind({}, []),
      context: async () => {
        contexts++
        // Its message changes at every try (as a deadline's would); its code once, after the fourth.
        throw (contexts <= 4 ? refused : unavailable)(`try ${contexts}`)
      },
    }
    const { runner, lines } = scanningRunner(store, kind)
    await runner.start()
    await expect.poll(() => contexts, { timeout: 5_000 }).toBeGreaterThanOrEqual(7)
    await runner.stop()
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.operation === record.id)
    expect(logged.filter((l) => l.level === 50).map((l) => l.err.code)).toEqual([
      'TEST_ERR_REFUSED',
      'TEST_ERR_UNAVAILABLE',
    ])
    expect(
      logged.filter((l) => l.level === 20 && l.msg === 'operations run failed again').length,
    ).toBeGreaterThanOrEqual(4)
  })
})

describe('a run whose process froze past its lease', () => {
  it('sends no agent call once its lease ran out, though its timer has not fired yet', async () => {
    const store = new MemoryOperationStore()
    const record = newRecord()
    await store.createOperation(record)
    let sent = 0
    const call = (ctx: Ctx) =>
      callAgent(
        {
          service: 'agent',
          cluster: 'dc1',
          operation: 'demoteDrPrimary',
          timeoutMs: 1_000,
          idempotent: false,
          signal: ctx.run.signal(),
        },
        async () => {
          sent++
          return { data: { ok: true }, response: new Response('{}') }
        },
      )
    const outcome: { error?: unknown } = {}
    const kind = fakeKind(
      {
        // One call made in time; then the process "freezes" (nothing else runs, no timer fires) past the lease.
        commit: async (ctx) => {
          await call(ctx)
          const frozenUntil = performance.now() + 700
          while (performance.now() < frozenUntil) {}
          await call(ctx).catch((err: unknown) => {
            outcome.error = err
            throw err
          })
          return { status: 'succeeded', detail: 'demoted' }
        },
      },
      [],
    )
    const runner = runnerOver(store, kind, { maxRunning: 1, leaseMs: 600 })
    await runner.start()
    await expect.poll(() => outcome.error !== undefined).toBe(true)
    await runner.stop()
    expect(sent).toBe(1)
    expect(String((outcome.error as Error).message)).toContain('the lease is running out')
    // Left as it was for whoever holds the lease next: the step is not marked done.
    expect((await store.getOperation(record.id))?.steps[1]?.status).toBe('running')
  })
})

describe('a step whose agent gave no answer (rerunWhenUnanswered)', () => {
  const unanswered = () =>
    GatewayErrors.agentUnreachable('agent of cluster dc2 (promoteDrSecondary) could not be reached')
  /** Throws `err` the first `times` runs, then succeeds. */
  const failing =
    (times: number, err: () => Error): Behaviour =>
    async () => {
      if (times-- > 0) throw err()
      return { status: 'succeeded', detail: 'committed' }
    }

  it('is run again from its start until the agent answers, saying so while it waits and once it is done', async () => {
    const { drive, stored, store, id } = await setUp(newRecord(), 10_000)
    const ran: string[] = []
    const kind = fakeKind({ commit: failing(2, unanswered) }, ran, [], ['commit'])
    let contexts = 0
    const context = (run: OperationRun<OperationRecord>) => {
      contexts++
      return kind.context(run)
    }
    await drive({ ...kind, context })
    expect(ran).toEqual(['prepare', 'commit', 'commit', 'commit', 'confirm'])
    // Each attempt after the first has a context of its own, as a resumed run would (the agents as registered now).
    expect(contexts).toBe(3)
    const op = await stored()
    expect(op.state).toBe('succeeded')
    expect(op.steps[1]?.detail).toBe('committed (run again after 2 unfinished attempt(s))')
    const waiting = (await store.operationEvents(id, 0))
      .map((e) => e.data.step as { name: string; status: string; detail: string | null } | undefined)
      .filter((step) => step?.name === 'commit' && step.status === 'running')
      .map((step) => step?.detail)
    expect(waiting).toEqual([
      null,
      'agent of cluster dc2 (promoteDrSecondary) could not be reached: the step runs again from its start in a moment (1 unfinished, for up to 10 s)',
      'agent of cluster dc2 (promoteDrSecondary) could not be reached: the step runs again from its start in a moment (2 unfinished, for up to 10 s)',
    ])
  })

  it('is run again when the agent answers that a change asked earlier is still under way (an attempt whose answer was lost)', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const ran: string[] = []
    const busy = () =>
      GatewayErrors.agentFailed('agent of cluster dc2 answered 409 AGENT_ERR_OPERATION_IN_FLIGHT', {
        upstream: { service: 'secondary-agent', status: 409, code: 'AGENT_ERR_OPERATION_IN_FLIGHT' },
      })
    await drive(fakeKind({ commit: failing(1, busy) }, ran, [], ['commit']))
    expect(ran).toEqual(['prepare', 'commit', 'commit', 'confirm'])
    expect((await stored()).state).toBe('succeeded')
  })

  it('fails the operation as before once VAULT_DR_AGENT_RETURN_MS is over', async () => {
    const { drive, stored } = await setUp(newRecord(), 300)
    const ran: string[] = []
    const undone: string[] = []
    await drive(fakeKind({ commit: failing(100, unanswered) }, ran, undone, ['commit']))
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(op.error?.code).toBe('GATEWAY_ERR_AGENT_UNREACHABLE')
    expect(undone).toEqual(['failed'])
    expect(ran.filter((n) => n === 'commit').length).toBeGreaterThanOrEqual(2)
  })

  it('fails at once on an answer (the agent said what happened), on a step not marked, and with 0', async () => {
    const refused = () => GatewayErrors.agentUnauthorized("agent of cluster dc2 rejected the gateway's agent token")
    for (const [behaviour, rerun, returnMs] of [
      [{ commit: failing(1, refused) }, ['commit'], 10_000],
      [{ commit: failing(1, unanswered) }, [], 10_000],
      [{ commit: failing(1, unanswered) }, ['commit'], 0],
    ] as const) {
      const { drive, stored } = await setUp(newRecord(), returnMs)
      const ran: string[] = []
      await drive(fakeKind(behaviour, ran, [], [...rerun]))
      expect(ran).toEqual(['prepare', 'commit'])
      expect((await stored()).state).toBe('failed')
    }
  })

  it('leaves the operation as it is when the context built anew finds another store key, as at a run start', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const ran: string[] = []
    const kind = fakeKind({ commit: failing(1, unanswered) }, ran, [], ['commit'])
    let contexts = 0
    const context = (run: OperationRun<OperationRecord>) =>
      contexts++ === 0 ? kind.context(run) : Promise.reject(GatewayErrors.storeKeyMismatch('written with another key'))
    await drive({ ...kind, context })
    expect(ran).toEqual(['prepare', 'commit'])
    const op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['succeeded', 'running', 'pending'])
  })

  it('a context that cannot be had for a moment (a store without its quorum) leaves the operation to be resumed', async () => {
    // Resumed past its point of no return: prepare done, commit under way when the last gateway died.
    const at = new Date().toISOString()
    const [prepare, commit, confirm] = STEP_NAMES.map(pendingStep)
    const { drive, stored } = await setUp(
      newRecord({
        state: 'running',
        steps: [
          { ...(prepare as OperationStep), status: 'succeeded', started_at: at, finished_at: at },
          { ...(commit as OperationStep), status: 'running', started_at: at },
          confirm as OperationStep,
        ],
      }),
    )
    const ran: string[] = []
    const undone: string[] = []
    const kind = fakeKind({}, ran, undone)
    const blip = storeUnavailable('etcd did not answer: deadline exceeded')
    await expect(drive({ ...kind, context: () => Promise.reject(blip) })).rejects.toBe(blip)
    let op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['succeeded', 'running', 'pending'])
    expect(undone).toEqual([])
    // The next run (the store answers again) carries it on.
    await drive(kind)
    op = await stored()
    expect(op.state).toBe('succeeded')
    expect(ran).toEqual(['commit', 'confirm'])
  })

  it('a context whose clusters are gone ends the operation failed, its steps not run', async () => {
    const { drive, stored } = await setUp()
    const ran: string[] = []
    const gone = GatewayErrors.clusterNotFound('dc2, held by operation x, is not registered')
    await drive({ ...fakeKind({}, ran), context: () => Promise.reject(gone) })
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(op.error?.code).toBe(gone.code)
    expect(op.steps.map((st) => st.detail)).toEqual([
      `not run: ${gone.code}`,
      `not run: ${gone.code}`,
      `not run: ${gone.code}`,
    ])
    expect(ran).toEqual([])
  })

  it('stops waiting when the gateway stops: the step stays running in the store, to be run again on resume', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const s = signals()
    const commit: Behaviour = async () => {
      setTimeout(() => s.abort.soft.abort(), 20)
      throw unanswered()
    }
    const started = performance.now()
    await drive(fakeKind({ commit }, [], [], ['commit']), s)
    expect(performance.now() - started).toBeLessThan(5_000)
    const op = await stored()
    expect(op.state).toBe('running')
    expect(statuses(op)).toEqual(['succeeded', 'running', 'pending'])
  })
})

describe('a compensation whose agent gave no answer', () => {
  const unanswered = () =>
    GatewayErrors.agentUnreachable('agent of cluster dc1 (promoteDrSecondary) could not be reached')
  const refused = () => GatewayErrors.agentUnauthorized("agent of cluster dc1 rejected the gateway's agent token")
  /** The kind whose commit fails on an answer, and whose undo throws `errs` in turn before it undoes. */
  function undoing(errs: Array<() => Error>, onUndo: () => void = () => {}) {
    const undone: string[] = []
    let contexts = 0
    const base = fakeKind({ commit: async () => Promise.reject(refused()) }, [], undone)
    const kind: OperationKind<OperationRecord, Ctx> = {
      ...base,
      context: (run) => {
        contexts++
        return base.context(run)
      },
      compensate: async (ctx, why) => {
        onUndo()
        const err = errs.shift()
        if (err !== undefined) throw err()
        return (base.compensate as NonNullable<typeof base.compensate>)(ctx, why)
      },
      compensationFailed: (_ctx, err) => ({ note: `; undo failed: ${(err as Error).message}`, fix: 'Undo by hand.' }),
    }
    return { kind, undone, contexts: () => contexts }
  }

  it('is run again from its start, each attempt with a context built anew, as a step is', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const { kind, undone, contexts } = undoing([unanswered, unanswered])
    await drive(kind)
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(op.error?.detail).toContain('; undid prepare')
    expect(undone).toEqual(['failed'])
    expect(contexts()).toBe(3)
  })

  it("ends with the kind's note and fix once it fails on an answer, or with VAULT_DR_AGENT_RETURN_MS 0", async () => {
    for (const [errs, returnMs] of [
      [[refused], 10_000],
      [[unanswered], 0],
    ] as const) {
      const { drive, stored } = await setUp(newRecord(), returnMs)
      await drive(undoing([...errs]).kind)
      const op = await stored()
      expect(op.state).toBe('failed')
      expect(op.error?.detail).toMatch(/; undo failed: agent of cluster dc1/)
      expect(op.error?.fix).toContain('Undo by hand.')
    }
  })

  it('leaves the operation to be compensated again when it fails and the kind cannot say what that means', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const { kind } = undoing([() => new Error('store: etcdserver: leader changed')])
    const { compensationFailed: _none, ...bare } = kind
    await expect(drive(bare)).rejects.toThrow('leader changed')
    const left = await stored()
    expect(left.state).toBe('running')
    expect(statuses(left)).toEqual(['succeeded', 'failed', 'pending'])
    const resumed = undoing([])
    await drive(resumed.kind)
    expect((await stored()).state).toBe('failed')
    expect(resumed.undone).toEqual(['failed'])
  })

  it('writes nothing more when the lease is lost, the gateway dies or the store key changes while it undoes', async () => {
    const lost = () => new LeaseLost('op', 'operation')
    const keyChanged = (kind: OperationKind<OperationRecord, Ctx>): OperationKind<OperationRecord, Ctx> => {
      let contexts = 0
      return {
        ...kind,
        context: (run) =>
          contexts++ === 0 ? kind.context(run) : Promise.reject(GatewayErrors.storeKeyMismatch('another key')),
      }
    }
    const s = signals()
    const dying = undoing([unanswered], () => setTimeout(() => s.abort.hard.abort(), 20))
    for (const [kind, sig, outcome] of [
      [undoing([lost]).kind, signals(), 'rejects'],
      [dying.kind, s, 'resolves'],
      [keyChanged(undoing([unanswered]).kind), signals(), 'resolves'],
    ] as const) {
      const { drive, stored } = await setUp(newRecord(), 10_000)
      const ran = drive(kind, sig)
      if (outcome === 'rejects') await expect(ran).rejects.toBeInstanceOf(LeaseLost)
      else await ran
      const op = await stored()
      expect(op.state).toBe('running')
      expect(statuses(op)).toEqual(['succeeded', 'failed', 'pending'])
    }
  })

  it('stops waiting when the gateway stops, ending nothing: the run that resumes it undoes, then ends it', async () => {
    const { drive, stored } = await setUp(newRecord(), 10_000)
    const s = signals()
    const first = undoing([unanswered], () => setTimeout(() => s.abort.soft.abort(), 20))
    const started = performance.now()
    await drive(first.kind, s)
    expect(performance.now() - started).toBeLessThan(5_000)
    const stopped = await stored()
    expect(stopped.state).toBe('running')
    expect(statuses(stopped)).toEqual(['succeeded', 'failed', 'pending'])
    const resumed = undoing([])
    await drive(resumed.kind)
    const op = await stored()
    expect(op.state).toBe('failed')
    expect(op.error?.detail).toContain('; undid prepare')
    expect(resumed.undone).toEqual(['failed'])
  })
})
