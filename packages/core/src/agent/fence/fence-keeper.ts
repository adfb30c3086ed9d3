import type { FastifyBaseLogger } from 'fastify'
import { Gauge, type Registry } from 'prom-client'
import { isCodedError } from '../../errors.ts'
import { singleFlight } from '../../util/single-flight.ts'
import { type ClusterStatus, statusReadError } from '../cluster-status.ts'
import type { RoleChangeService } from '../dr-roles/role-change.service.ts'
import type { VaultAgent } from '../vault-agent.ts'
import type { ClearFenceResult, FenceRecord, FenceRequest, FenceResult } from './fence.schemas.ts'
import { FenceErrors } from './fence-errors.ts'
import type { FenceStore } from './fence-store.ts'

/** The demote is retried with this backoff while it fails; once demoted, the role is watched at WATCH_MS. */
export const FENCE_RETRY = { firstMs: 250, maxMs: 15_000 } as const
const WATCH_MS = 5_000
/**
 * While its Vault does not answer (a lost site, its process down), the fenced cluster is looked at this often,
 * without backing off: the demote has to come the moment Vault answers again, as clients reach it then too. A read
 * of a Vault that refuses connections costs next to nothing (one that hangs is read once at a time).
 */
export const AWAY_PROBE_MS = 20
/** While its Vault answers sealed or without an active node: it takes writes only once unsealed or elected. */
export const SEALED_PROBE_MS = 100

/** The highest last WAL the cluster reported in these reads (a demoted DR primary still reports its own in sys/health). */
function lastWalOf(...reads: ClusterStatus[]): number | null {
  const seen = reads
    .flatMap((s) => [s.replication?.last_wal, s.vault.last_wal])
    .filter((n): n is number => typeof n === 'number')
  return seen.length === 0 ? null : Math.max(...seen)
}

/** How soon to read Vault again when nothing can be demoted yet; undefined when Vault answers and the demote failed. */
function probeAgainMs(status: ClusterStatus): number | undefined {
  if (!status.vault.reachable) return AWAY_PROBE_MS
  if (status.vault.sealed === true || status.replication === null) return SEALED_PROBE_MS
  return undefined
}

export const DEFAULT_FENCE_REASON = 'The gateway failed the primary role away from this cluster'

interface DemoteOutcome {
  demoted: boolean
  detail: string
  status: ClusterStatus
}

export interface FenceKeeper {
  record(): FenceRecord | undefined
  /** The record as the status's JSON value ('null' when not fenced), made once per change. */
  json(): string
  /** Fenced and not known to be demoted: every change but a demote is refused (AGENT_ERR_FENCED). */
  pending(): boolean
  /** Why changes are refused now, for AGENT_ERR_FENCED's detail. */
  refusal(): string
  fence(body: FenceRequest, epoch: number): Promise<FenceResult>
  /** VAULT_DR_FENCE_ON_ISOLATION fired: fence with by 'isolation' (once) and demote. */
  fenceSelf(reason: string, epoch: number): Promise<void>
  clear(): Promise<ClearFenceResult>
  /** Something changed the cluster's role (a demote through its route): look again now. */
  nudge(): void
  /** Starts watching when the record on disk says fenced (an agent restarted mid-way demotes at once). */
  start(): void
  stop(): void
}

/**
 * Keeps an old primary fenced: the record is written before anything acts on it; while it says fenced and the cluster
 * is (or may be) a DR primary, the demote is retried in the background with a bounded backoff; once the cluster is a
 * DR secondary its role is watched, so a cluster promoted again behind the agent's back is demoted again.
 */
export function createFenceKeeper(deps: {
  agent: VaultAgent
  store: FenceStore
  roleChanges: Pick<RoleChangeService, 'exclusive'>
  registry: Registry
  log: () => FastifyBaseLogger
  now?: () => Date
}): FenceKeeper {
  const { agent, store, roleChanges } = deps
  const now = deps.now ?? (() => new Date())
  const gauge = new Gauge({
    name: 'vault_dr_agent_fenced',
    help: 'Whether this agent keeps its cluster fenced (1): failed away from, or self-fenced on isolation',
    registers: [deps.registry],
  })
  let json = 'null'
  let lastFailure: string | undefined
  let failures = 0
  let timer: NodeJS.Timeout | undefined
  let running = false
  // Changes of the record are serialized: a fence, the keeper marking it demoted, and a clear never interleave.
  let queue: Promise<unknown> = Promise.resolve()
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(work)
    queue = turn.catch(() => undefined)
    return turn
  }
  const published = () => {
    const record = store.current()
    json = record === undefined ? 'null' : JSON.stringify(record)
    gauge.set(record === undefined ? 0 : 1)
  }
  published()

  const save = (patch: Partial<FenceRecord>) =>
    serialized(async () => {
      const record = store.current()
      if (record === undefined) return
      await store.save({ ...record, ...patch })
      published()
    })

  /** Keeps demoted_at in step with what Vault reports; `lastWal`: the cluster's last WAL, when this agent demoted it. */
  async function observe(status: ClusterStatus, lastWal: number | null = null): Promise<void> {
    const record = store.current()
    const mode = status.replication?.mode
    if (record === undefined) return
    if (mode === 'secondary') {
      // A status read may have seen the demote first: the last WAL read by the demote itself is still kept.
      const newer = lastWal !== null && (record.last_wal ?? -1) < lastWal
      if (record.demoted_at === null || newer) {
        await save({
          ...(record.demoted_at === null ? { demoted_at: now().toISOString() } : {}),
          ...(newer ? { last_wal: lastWal } : {}),
        })
      }
    }
    if (mode === 'primary' && record.demoted_at !== null) {
      deps.log().error({ fence: record }, 'fence: the fenced cluster is a DR primary again; demoting it again')
      await save({ demoted_at: null })
    }
  }

  /**
   * Reads the cluster and demotes it if it is a DR primary, as one role change: a promote or update-primary admitted
   * before the fence was recorded finishes first, so the cluster is seen as it left it (never a "demoted" read just
   * before a promote lands).
   */
  const ensureDemotedNow = (): Promise<DemoteOutcome> =>
    roleChanges.exclusive((locked) => demoteIfPrimary(locked.demote))

  async function demoteIfPrimary(demote: () => ReturnType<RoleChangeService['demote']>): Promise<DemoteOutcome> {
    const status = await agent.status(0)
    await observe(status)
    const mode = status.replication?.mode
    if (mode === 'secondary') {
      return { demoted: true, detail: 'The cluster is a DR secondary: it takes no writes.', status }
    }
    if (mode !== 'primary') {
      const why = statusReadError(status)
      const detail =
        why === undefined
          ? `The cluster's DR mode is ${mode ?? 'unknown'}: not a DR primary, so there is nothing to demote; the fence stays until it rejoins as a DR secondary.`
          : `The cluster status cannot be read (${why.code}: ${why.message}); the demote is retried in the background.`
      return { demoted: false, detail, status }
    }
    try {
      const result = await demote()
      await observe(result.status, lastWalOf(status, result.status))
      return { demoted: true, detail: `${result.detail} (fence)`, status: result.status }
    } catch (err) {
      const code = isCodedError(err) ? `${err.code}: ` : ''
      const detail = `The demote failed (${code}${(err as Error).message}); it is retried in the background.`
      return { demoted: false, detail, status: await agent.status(0) }
    }
  }
  const ensureDemoted = singleFlight(ensureDemotedNow)

  function schedule(ms: number): void {
    clearTimeout(timer)
    timer = undefined
    if (!running || store.current() === undefined) return
    timer = setTimeout(tick, ms)
    timer.unref()
  }

  /**
   * When to look again after an attempt: at WATCH_MS once demoted; every AWAY_PROBE_MS while Vault does not answer,
   * SEALED_PROBE_MS while it answers sealed (said once, not at every probe); with the backoff while Vault answers and
   * the demote fails.
   */
  function after(outcome: DemoteOutcome | undefined): number {
    if (outcome?.demoted) {
      failures = 0
      lastFailure = undefined
      return WATCH_MS
    }
    const probe = outcome === undefined ? undefined : probeAgainMs(outcome.status)
    if (outcome !== undefined && probe !== undefined) {
      if (lastFailure !== outcome.detail) {
        deps.log().warn({ probe_every_ms: probe }, `fence: demoting as soon as Vault answers: ${outcome.detail}`)
      }
      failures = 0
      lastFailure = outcome.detail
      return probe
    }
    failures++
    if (outcome !== undefined) lastFailure = outcome.detail
    const wait = Math.min(FENCE_RETRY.maxMs, FENCE_RETRY.firstMs * 2 ** Math.min(failures - 1, 16))
    deps.log().warn({ attempt: failures, retry_in_ms: wait }, `fence: the cluster is not demoted yet: ${lastFailure}`)
    return wait
  }

  async function tick(): Promise<void> {
    timer = undefined
    if (!running || store.current() === undefined) return
    let outcome: DemoteOutcome | undefined
    try {
      outcome = await ensureDemoted.get()
    } catch (err) {
      lastFailure = (err as Error).message
    }
    schedule(after(outcome))
  }

  const startWatching = () => {
    running = true
    if (timer === undefined) schedule(0)
  }

  return {
    record: () => store.current(),
    json: () => json,
    pending: () => store.current()?.demoted_at === null,
    refusal() {
      const r = store.current()
      if (r === undefined) return 'The cluster is not fenced.'
      const by = r.by === 'gateway' ? 'by the gateway' : 'by this agent on isolation'
      return `Fenced ${by} at ${r.at} (${r.reason}); the cluster is not known to be demoted yet: ${lastFailure ?? 'the demote is under way'}.`
    },

    async fence(body, epoch) {
      const created = await serialized(async () => {
        if (store.current() !== undefined) return false
        await store.save({
          at: now().toISOString(),
          reason: body.reason ?? DEFAULT_FENCE_REASON,
          epoch,
          demoted_at: null,
          by: 'gateway',
          failover_id: body.failover_id ?? null,
          last_wal: null,
        })
        published()
        return true
      })
      if (created) deps.log().warn({ fence: store.current() }, 'fence: the gateway fenced this cluster; demoting it')
      running = true
      const outcome = await ensureDemoted.get()
      schedule(after(outcome))
      const record = store.current()
      if (record === undefined) throw FenceErrors.unwritable('The fence was cleared while it was being applied.')
      return { fenced: true, demoted: outcome.demoted, detail: outcome.detail, record, status: outcome.status }
    },

    async fenceSelf(reason, epoch) {
      const created = await serialized(async () => {
        if (store.current() !== undefined) return false
        await store.save({
          at: now().toISOString(),
          reason,
          epoch,
          demoted_at: null,
          by: 'isolation',
          failover_id: null,
          last_wal: null,
        })
        published()
        return true
      })
      if (created) deps.log().error({ reason }, `fence: isolated, demoting this DR primary by itself: ${reason}`)
      startWatching()
      schedule(0)
    },

    clear: () =>
      serialized(async () => {
        const record = store.current()
        if (record === undefined) return { cleared: false, detail: 'The cluster was not fenced; nothing changed.' }
        const status = await agent.status(0)
        const mode = status.replication?.mode
        if (mode === 'primary' || (record.demoted_at === null && mode !== 'secondary')) {
          throw FenceErrors.notDemoted(
            `The cluster's DR mode is ${mode ?? 'unknown (its status cannot be read)'}; the fence recorded at ${record.at} stays.`,
          )
        }
        await store.clear()
        published()
        clearTimeout(timer)
        timer = undefined
        failures = 0
        lastFailure = undefined
        deps.log().info({ fence: record }, 'fence: cleared; the cluster is a DR secondary')
        return {
          cleared: true,
          detail: `The fence recorded at ${record.at} is cleared; the cluster is a DR secondary.`,
        }
      }),

    nudge() {
      if (running && store.current() !== undefined) schedule(0)
    },
    start() {
      if (store.current() !== undefined) startWatching()
      else running = true
    },
    stop() {
      running = false
      clearTimeout(timer)
      timer = undefined
    },
  }
}
