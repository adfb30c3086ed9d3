import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isCodedError } from '@vault-dr/core'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { type HandshakeRecord, LeaseLost, type Store } from '../store/store.ts'
import { Slots } from '../util/slots.ts'
import { type DriverDeps, driveHandshake } from './handshake-driver.ts'
import { isFinished } from './handshake-record.ts'
import type { StepError } from './handshakes.schemas.ts'
import { retryPendingRevocations } from './pending-revocations.ts'
import { toStepError } from './step-context.ts'

export interface RunnerDeps extends DriverDeps {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  /** On stop, how long steps in flight may take to reach their boundary before they are abandoned. */
  stopGraceMs: number
}

/**
 * Runs handshakes in the background: resumes unfinished ones on start (and any whose gateway's lease ran out),
 * holds a renewed lease on each it runs, and on stop lets steps reach a boundary, leaving the rest resumable.
 */
export class HandshakeRunner {
  readonly #deps: RunnerDeps
  readonly #runs = new Map<string, { done: Promise<void>; cancel: AbortController }>()
  readonly #soft = new AbortController()
  readonly #hard = new AbortController()
  readonly #slots: Slots
  /**
   * This process's lease owner: the gateway's name and an instance id, so that writes are fenced per process (two
   * processes sharing a name, or one that lost its lease, cannot both drive a handshake).
   */
  readonly #owner: string
  #scan: NodeJS.Timeout | undefined
  #revoking = false

  constructor(deps: RunnerDeps) {
    this.#deps = deps
    this.#slots = new Slots(deps.settings.maxRunning)
    this.#owner = `${deps.settings.gatewayId}/${randomUUID()}`
  }

  async start(): Promise<void> {
    // A restarted gateway takes over at once what its earlier process of the same name held; later scans only
    // pick up handshakes nobody holds or whose lease ran out.
    await this.resumeAll(true)
    this.#scan = setInterval(() => {
      void this.resumeAll()
      void this.#retryRevocations()
    }, this.#deps.settings.leaseMs)
    this.#scan.unref()
  }

  /** Picks up every unfinished handshake no live gateway holds (and, at start, those of this gateway's name). */
  async resumeAll(takeOverOwnName = false): Promise<void> {
    if (this.#soft.signal.aborted) return
    const { store, settings } = this.#deps
    const ownName = takeOverOwnName ? settings.gatewayId : undefined
    try {
      for (const hs of await store.resumable(this.#owner, Date.now(), ownName)) this.kick(hs.id, ownName)
    } catch (err) {
      this.#deps.log.error({ err }, 'could not list resumable handshakes')
    }
  }

  /** Starts running a handshake in the background, unless it already runs here or the gateway is stopping. */
  kick(id: string, ownName?: string): void {
    if (this.#soft.signal.aborted || this.#runs.has(id)) return
    const cancel = new AbortController()
    // A handshake waiting for a slot stays pending in the store; one the gateway stops before its turn stays resumable.
    const done = this.#slots
      .run(() => (this.#soft.signal.aborted ? Promise.resolve() : this.#run(id, cancel.signal, ownName)))
      .catch((err: unknown) => {
        if (err instanceof LeaseLost) this.#deps.log.warn({ handshake: id }, err.message)
        else if (!this.#hard.signal.aborted) this.#deps.log.error({ err, handshake: id }, 'handshake run failed')
      })
      .finally(() => this.#runs.delete(id))
    this.#runs.set(id, { done, cancel })
  }

  /** One pass over the revocations handshakes could not make when they ended; one pass at a time. */
  async #retryRevocations(): Promise<void> {
    if (this.#revoking || this.#soft.signal.aborted) return
    this.#revoking = true
    const { store, log, now } = this.#deps
    try {
      const agentsFor = (hs: HandshakeRecord) => this.#agentsFor(hs.primary, hs.secondary)
      await retryPendingRevocations({ store, log, now, agentsFor }, this.#soft.signal)
    } catch (err) {
      if (!this.#soft.signal.aborted) log.error({ err }, 'could not retry pending revocations')
    } finally {
      this.#revoking = false
    }
  }

  /** A cancellation was stored: interrupt the run here if it waits, or start one to carry the cancellation out. */
  cancel(id: string): void {
    const run = this.#runs.get(id)
    if (run === undefined) this.kick(id)
    else run.cancel.abort()
  }

  async stop(): Promise<void> {
    clearInterval(this.#scan)
    this.#soft.abort(new Error('the gateway is stopping'))
    const all = () => Promise.allSettled([...this.#runs.values()].map((r) => r.done))
    const grace = new AbortController()
    await Promise.race([all(), sleep(this.#deps.stopGraceMs, undefined, { signal: grace.signal }).catch(() => {})])
    grace.abort()
    this.#hard.abort(new Error('the gateway stopped'))
    await all()
  }

  async #run(id: string, cancel: AbortSignal, ownName?: string): Promise<void> {
    const { store, settings } = this.#deps
    const owner = this.#owner
    let heldUntil = Date.now() + settings.leaseMs
    if (!(await store.claim(id, owner, Date.now(), heldUntil, ownName))) return
    const lost = new AbortController()
    const renew = setInterval(() => {
      const until = Date.now() + settings.leaseMs
      store.claim(id, owner, Date.now(), until).then(
        (held) => {
          if (held) heldUntil = until
          else lost.abort(new Error('another gateway took the handshake over'))
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
    try {
      const hs = await store.getHandshake(id)
      if (hs === undefined || isFinished(hs)) return
      let agents: Parameters<typeof driveHandshake>[2]
      try {
        agents = await this.#agentsFor(hs.primary, hs.secondary)
      } catch (err) {
        if (!isCodedError(err)) throw err
        // Another store key: nothing is wrong with the handshake. Leave it as it is (the lease is released below),
        // so a gateway with the right key resumes it.
        if (err.code === GatewayErrors.storeKeyMismatch.code) {
          this.#deps.log.error(
            { handshake: id, code: err.code, detail: err.message },
            'handshake left unfinished: restart the gateway with the store key it was written with to resume it',
          )
          return
        }
        await this.#fail(hs, toStepError(err), owner)
        return
      }
      const hard = AbortSignal.any([this.#hard.signal, lost.signal])
      await driveHandshake(this.#deps, hs, agents, { hard, soft: this.#soft.signal, cancel }, owner)
    } finally {
      clearInterval(renew)
      if (lost.signal.aborted) this.#deps.log.warn({ handshake: id, reason: String(lost.signal.reason) }, 'lease lost')
      await store.release(id, owner).catch(() => {})
    }
  }

  /** Ends a handshake whose agents cannot be had (its clusters are gone or changed role). */
  async #fail(hs: HandshakeRecord, error: StepError, owner: string): Promise<void> {
    const at = new Date(this.#deps.now()).toISOString()
    const steps = hs.steps.map((s) =>
      s.status === 'pending' || s.status === 'running'
        ? { ...s, status: 'skipped' as const, detail: `not run: ${error.code}` }
        : s,
    )
    const event = { type: 'state' as const, data: { state: 'failed', error } }
    await this.#deps.store.updateHandshake(hs.id, { state: 'failed', steps, error, finished_at: at }, at, event, owner)
    this.#deps.bus.notify(hs.id)
  }

  async #agentsFor(primaryName: string, secondaryName: string) {
    const { clusters, agents } = this.#deps
    const [primary, secondary] = await Promise.all([
      clusters.resolve(primaryName, 'primary'),
      clusters.resolve(secondaryName, 'secondary'),
    ])
    return {
      primary: agents.primary(clusters.targetOf(primary)),
      secondary: agents.secondary(clusters.targetOf(secondary)),
    }
  }
}
