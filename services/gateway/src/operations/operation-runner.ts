import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isCodedError } from '@vault-dr/core'
import type { HandshakeSettings } from '../config.ts'
import { LeaseLost } from '../store/store.ts'
import { Slots } from '../util/slots.ts'
import { watchLease } from './lease-watch.ts'
import { isFinished, type JournalRecord, type OperationJournal } from './operation-journal.ts'
import type { OperationKind } from './operation-kind.ts'
import { pastPointOfNoReturn, type RunStepsDeps, runSteps } from './run-steps.ts'
import { takeoverScanMs } from './takeover-scan.ts'

/** The wait before a run that failed outside its steps is tried again here, doubling up to the last. */
const RETRY_FIRST_MS = 250
const RETRY_MAX_MS = 10_000

/** One family of records: a journal, and the kind that runs each of its records. */
export interface OperationFamily<Rec extends JournalRecord = JournalRecord> {
  /** 'handshakes' (the handshake table) or 'operations' (the generic journal). */
  name: string
  journal: OperationJournal<Rec>
  kindOf(record: Rec): OperationKind<Rec, unknown> | undefined
}

export interface RunnerDeps extends RunStepsDeps {
  settings: Pick<HandshakeSettings, 'maxRunning' | 'gatewayId' | 'leaseMs'>
  families: OperationFamily[]
  /** Background chores run at each scan, one pass at a time (e.g. revocations a handshake could not make). */
  upkeep?: ((signal: AbortSignal) => Promise<void>)[]
  /** On stop, how long steps in flight may take to reach their boundary before they are abandoned. */
  stopGraceMs: number
}

/**
 * Runs operations of every kind in the background: resumes unfinished ones on start (and any whose gateway's lease
 * ran out), holds a renewed lease on each it runs, and on stop lets steps reach a boundary, leaving the rest
 * resumable.
 */
export class OperationRunner {
  readonly #deps: RunnerDeps
  readonly #runs = new Map<string, { done: Promise<void>; cancel: AbortController }>()
  readonly #soft = new AbortController()
  readonly #hard = new AbortController()
  readonly #slots: Slots
  /**
   * This process's lease owner: the gateway's name and an instance id, so that writes are fenced per process (two
   * processes sharing a name, or one that lost its lease, cannot both drive an operation).
   */
  readonly #owner: string
  #scan: NodeJS.Timeout | undefined
  #upkeepTimer: NodeJS.Timeout | undefined
  #scanning = false
  #upkeeping = false
  /**
   * Operations whose last run here failed outside any step: with no code (a record its kind cannot read), not run
   * again before `until`, the wait doubling up to RETRY_MAX_MS, so one such record is not claimed, failed and released
   * at every scan; with a code, run again at the next scan (until: now). Said at error once per reason, not per try.
   */
  readonly #failing = new Map<string, { until: number; waitMs: number; reason: string }>()

  constructor(deps: RunnerDeps) {
    this.#deps = deps
    this.#slots = new Slots(deps.settings.maxRunning)
    this.#owner = `${deps.settings.gatewayId}/${randomUUID()}`
  }

  async start(): Promise<void> {
    // A restarted gateway takes over at once what its earlier process of the same name held; later scans only
    // pick up operations nobody holds or whose lease ran out.
    await this.resumeAll(true)
    this.#scan = setInterval(() => void this.#takeoverScan(), takeoverScanMs(this.#deps.settings.leaseMs))
    this.#scan.unref()
    this.#upkeepTimer = setInterval(() => void this.#upkeep(), this.#deps.settings.leaseMs)
    this.#upkeepTimer.unref()
  }

  /** Picks up every unfinished operation no live gateway holds (and, at start, those of this gateway's name). */
  async resumeAll(takeOverOwnName = false): Promise<void> {
    if (this.#soft.signal.aborted) return
    const ownName = takeOverOwnName ? this.#deps.settings.gatewayId : undefined
    for (const family of this.#deps.families) {
      try {
        for (const record of await family.journal.resumable(this.#owner, Date.now(), ownName)) {
          this.kick(record.id, family.name, ownName)
        }
      } catch (err) {
        this.#deps.log.error({ err, family: family.name }, `could not list resumable ${family.name}`)
      }
    }
  }

  /** Starts running an operation in the background, unless it already runs here or the gateway is stopping. */
  kick(id: string, familyName: string, ownName?: string): void {
    if (this.#soft.signal.aborted || this.#runs.has(id)) return
    if ((this.#failing.get(id)?.until ?? 0) > Date.now()) return
    const family = this.#family(familyName)
    const cancel = new AbortController()
    // An operation waiting for a slot stays pending in the store; one the gateway stops before its turn stays resumable.
    const done = this.#slots
      .run(() =>
        this.#soft.signal.aborted ? Promise.resolve(undefined) : this.#run(family, id, cancel.signal, ownName),
      )
      .then((after) => {
        this.#failing.delete(id)
        return after?.()
      })
      .catch((err: unknown) => {
        if (err instanceof LeaseLost) this.#deps.log.warn({ operation: id }, err.message)
        else if (!this.#hard.signal.aborted) this.#failed(id, family.name, err)
      })
      .finally(() => this.#runs.delete(id))
    this.#runs.set(id, { done, cancel })
  }

  /**
   * A run that failed outside its steps. A coded error (the store without its quorum for a moment) is tried again at
   * the next scan; anything else (a record its kind cannot read) fails the same way each time: tried again later, the
   * wait doubling. Either is said at error when its reason (a coded error's code) changes, at debug while it lasts.
   */
  #failed(id: string, familyName: string, err: unknown): void {
    const before = this.#failing.get(id)
    const coded = isCodedError(err)
    const reason = coded ? err.code : err instanceof Error ? err.message : String(err)
    const waitMs = coded ? 0 : Math.min(RETRY_MAX_MS, before?.waitMs ? before.waitMs * 2 : RETRY_FIRST_MS)
    // Forgotten once long past: its operation ended, or another gateway runs it.
    for (const [other, f] of this.#failing) if (f.until < Date.now() - 10 * RETRY_MAX_MS) this.#failing.delete(other)
    this.#failing.set(id, { until: Date.now() + waitMs, waitMs, reason })
    const fields = { err, operation: id, ...(coded ? {} : { retry_in_ms: waitMs }) }
    if (before?.reason === reason) this.#deps.log.debug(fields, `${familyName} run failed again`)
    else this.#deps.log.error(fields, `${familyName} run failed`)
  }

  /** A cancellation was stored: interrupt the run here if it waits, or start one to carry the cancellation out. */
  cancel(id: string, familyName: string): void {
    this.#failing.delete(id)
    const run = this.#runs.get(id)
    if (run === undefined) this.kick(id, familyName)
    else run.cancel.abort()
  }

  async stop(): Promise<void> {
    clearInterval(this.#scan)
    clearInterval(this.#upkeepTimer)
    this.#soft.abort(new Error('the gateway is stopping'))
    const all = () => Promise.allSettled([...this.#runs.values()].map((r) => r.done))
    const grace = new AbortController()
    await Promise.race([all(), sleep(this.#deps.stopGraceMs, undefined, { signal: grace.signal }).catch(() => {})])
    grace.abort()
    this.#hard.abort(new Error('the gateway stopped'))
    await all()
  }

  /** Whether the record's operation started a step past its point of no return (its kind says which steps are). */
  pastPointOfNoReturn(familyName: string, record: JournalRecord): boolean {
    const kind = this.#family(familyName).kindOf(record)
    return kind !== undefined && pastPointOfNoReturn(kind, record)
  }

  #family(name: string): OperationFamily {
    const family = this.#deps.families.find((f) => f.name === name)
    if (family === undefined) throw new Error(`no operation family ${name}`)
    return family
  }

  /**
   * One scan for operations to take over, one at a time; none while every slot is taken, since what it found would
   * only wait for a slot (the next scan after one frees finds it), and a busy gateway is spared reading every
   * unfinished record several times a second.
   */
  async #takeoverScan(): Promise<void> {
    if (this.#scanning || this.#runs.size >= this.#deps.settings.maxRunning) return
    this.#scanning = true
    try {
      await this.resumeAll()
    } finally {
      this.#scanning = false
    }
  }

  /** One pass over the upkeep chores; one pass at a time. */
  async #upkeep(): Promise<void> {
    if (this.#upkeeping || this.#soft.signal.aborted) return
    this.#upkeeping = true
    try {
      for (const chore of this.#deps.upkeep ?? []) {
        await chore(this.#soft.signal).catch((err: unknown) => {
          if (!this.#soft.signal.aborted) this.#deps.log.error({ err }, 'background upkeep failed')
        })
      }
    } finally {
      this.#upkeeping = false
    }
  }

  /** Runs the operation under its lease; answers the work that follows its success, if its kind has any. */
  async #run(
    family: OperationFamily,
    id: string,
    cancel: AbortSignal,
    ownName?: string,
  ): Promise<(() => Promise<void>) | undefined> {
    const { journal } = family
    const { settings } = this.#deps
    const owner = this.#owner
    let heldUntil = Date.now() + settings.leaseMs
    const claimedAt = performance.now()
    if (!(await journal.claim(id, owner, Date.now(), heldUntil, ownName))) return
    const lost = new AbortController()
    // The run stops a sixth of a lease before the lease last written runs out (counted from when that write was sent,
    // on this process's monotonic clock), whatever its renewals are doing: one may hang on a store cut off from its
    // quorum well past the lease, while another gateway takes the operation over. Renewed every third of a lease, a
    // renewal has half a lease to be answered, and a second try.
    let deadline: NodeJS.Timeout | undefined
    let ended = false
    const stopAt = (sentAt: number) => sentAt + (settings.leaseMs * 5) / 6
    const runningOut = () => lost.abort(new Error('the lease is running out: no renewal was acknowledged in time'))
    // The timer may fire late (a frozen process): every agent call also checks the stop time first (lease-watch.ts).
    const watch = watchLease(stopAt(claimedAt), runningOut)
    const stopBy = (sentAt: number) => {
      clearTimeout(deadline)
      if (ended) return
      watch.extend(stopAt(sentAt))
      deadline = setTimeout(runningOut, Math.max(0, stopAt(sentAt) - performance.now()))
      deadline.unref()
    }
    stopBy(claimedAt)
    const renew = setInterval(() => {
      const until = Date.now() + settings.leaseMs
      const sentAt = performance.now()
      journal.renew(id, owner, until).then(
        (held) => {
          if (held) {
            heldUntil = until
            stopBy(sentAt)
          } else lost.abort(new Error('another gateway took the operation over'))
        },
        (err: unknown) => {
          // A renewal may fail for a moment (a busy store); stop before the lease runs out, when another may take over.
          if (Date.now() + settings.leaseMs / 3 >= heldUntil) {
            lost.abort(new Error(`the lease is running out: renewing it failed (${err})`))
          }
        },
      )
    }, settings.leaseMs / 3)
    renew.unref()
    let after: ((record: JournalRecord) => Promise<void>) | undefined
    try {
      const record = await journal.get(id)
      if (record === undefined || isFinished(record)) return
      const kind = family.kindOf(record)
      if (kind === undefined) {
        this.#deps.log.error({ operation: id }, `${family.name}: no kind registered for this record: left as it is`)
        return
      }
      const hard = AbortSignal.any([this.#hard.signal, lost.signal])
      await runSteps(this.#deps, kind, journal, record, { hard, soft: this.#soft.signal, cancel }, owner)
      after = kind.afterSuccess
    } finally {
      ended = true
      clearInterval(renew)
      clearTimeout(deadline)
      watch.release()
      if (lost.signal.aborted) this.#deps.log.warn({ operation: id, reason: String(lost.signal.reason) }, 'lease lost')
      await journal.release(id, owner).catch(() => {})
    }
    // Outside the lease, and run by the caller outside the slot: what follows from a success is no step of it.
    const then = after
    if (then === undefined) return undefined
    return async () => {
      const finished = await journal.get(id).catch(() => undefined)
      if (finished?.state !== 'succeeded') return
      await then(finished).catch((err: unknown) => {
        this.#deps.log.warn({ operation: id, err: (err as Error)?.message }, 'the work after its success failed')
      })
    }
  }
}
