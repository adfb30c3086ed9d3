import { isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import {
  type AutoFailoverSetting,
  type AutoFailoverStore,
  lastFailover,
  parseAutoFailover,
  autoFailoverKey as settingKey,
} from '../pairs/pair-auto-failover.ts'
import type { PairedSecondary, Store } from '../store/store.ts'
import { repeatRounds } from '../util/repeat-rounds.ts'
import { type AutoFailoverDecision, decideAutoFailover } from './auto-failover-decision.ts'
import type { FailoverPlanner } from './failover-planner.ts'
import { durationMs } from './failovers.schemas.ts'
import type { CreateFailoverBody } from './failovers-subject.ts'

export interface AutoFailoverDeps {
  store: AutoFailoverStore &
    Pick<Store, 'replaceMetaIf'> & {
      pairedSecondaries(): Promise<PairedSecondary[]>
      currentEpoch(): Promise<number>
      metaUnder(prefix: string): Promise<Map<string, string>>
    }
  planner: FailoverPlanner
  /** createFailover of the failovers service: the same guard and operation as POST /v1/failovers. */
  createFailover(
    body: CreateFailoverBody,
    key: string,
    signal: AbortSignal,
  ): Promise<{ created: boolean; operation: { id: string } }>
  blockMs: number
  intervalMs: number
  now: () => number
  log: FastifyBaseLogger
}

export type AutoFailoverOutcome =
  | { secondary: string; outcome: 'started' | 'replayed'; operation_id: string }
  | { secondary: string; outcome: 'held'; decision: AutoFailoverDecision }
  | { secondary: string; outcome: 'failed'; code: string; detail: string }

/**
 * The key of the one automatic failover of a pair at a given role epoch after its newest failover (`after`, its id):
 * two gateways deciding at once read the same and send the same key and body, so the second gets the first's
 * operation back (or cluster_busy while it holds the clusters). One that ended before it raised the epoch (cancelled
 * or refused in its preflight) does not answer every later decision: the next one comes after it.
 */
export const autoFailoverKey = (pair: PairedSecondary, epoch: number, after: string | null) =>
  `auto-failover:${pair.primary}:${pair.secondary}:epoch-${epoch}:after-${after ?? 'none'}`

/**
 * Watches the pairs whose automatic failover is on and fails one over when decideAutoFailover says so. Every gateway
 * sharing the store runs one; the shared journal (anti-flap window), the idempotency key and the cluster locks keep
 * it to one failover.
 */
export function createAutoFailoverWatcher(deps: AutoFailoverDeps) {
  const closing = new AbortController()
  /** The last decision logged per pair: a decision is logged when it changes, not every round. */
  const said = new Map<string, string>()
  /** The last reason a failover the watcher asked for was not started, per pair, until one starts or it holds. */
  const failing = new Map<string, string>()

  function tell(secondary: string, decision: AutoFailoverDecision) {
    const code = decision.fire ? 'fire' : decision.code
    if (said.get(secondary) === code) return
    said.set(secondary, code)
    if (decision.fire || decision.code !== 'refused') {
      deps.log.warn({ secondary, decision: code, reason: decision.reason }, 'automatic failover')
    } else {
      deps.log.info({ secondary, decision: code, reason: decision.reason }, 'automatic failover: not now')
    }
  }

  /** Writes last_fired_at while the operator's part of the setting is still `setting`; false once it changed. */
  async function markFired(secondary: string, setting: AutoFailoverSetting): Promise<boolean> {
    for (;;) {
      const raw = await deps.store.getMeta(settingKey(secondary))
      const now = parseAutoFailover(raw)
      const same = now.enabled && now.down_for === setting.down_for && now.updated_at === setting.updated_at
      if (!same || raw === undefined) return false
      const fired = { ...now, last_fired_at: new Date(deps.now()).toISOString() }
      if (await deps.store.replaceMetaIf(settingKey(secondary), raw, JSON.stringify(fired))) return true
    }
  }

  async function consider(
    pair: PairedSecondary,
    setting: AutoFailoverSetting,
  ): Promise<AutoFailoverOutcome | undefined> {
    if (!setting.enabled) return undefined
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(30_000)])
    const body: CreateFailoverBody = { to: pair.secondary, down_for: setting.down_for, allow_data_loss: false }
    const plan = await deps.planner(body, signal)
    const last = await lastFailover(deps.store, pair.secondary)
    const decision = decideAutoFailover({
      plan,
      downForMs: durationMs(setting.down_for),
      now: deps.now(),
      lastFailoverAt: last?.at ?? null,
      blockMs: deps.blockMs,
    })
    tell(pair.secondary, decision)
    if (!decision.fire) {
      failing.delete(pair.secondary)
      return { secondary: pair.secondary, outcome: 'held', decision }
    }
    const key = autoFailoverKey(pair, await deps.store.currentEpoch(), last?.id ?? null)
    // The plan took a while: an operator who turned it off (or changed down_for) meanwhile is obeyed. Written before
    // the failover is asked for (a gateway killed in between shows the attempt), over the setting as it is now and only
    // while it still is (compare-and-set: an operator's change landing between the read and the write is never
    // overwritten, an "off" turned back on; another gateway's last_fired_at is read again and written over).
    if (!(await markFired(pair.secondary, setting))) {
      const changed: AutoFailoverDecision = {
        fire: false,
        code: 'refused',
        reason: 'the setting changed while the plan was made: decided again at the next round',
      }
      tell(pair.secondary, changed)
      return { secondary: pair.secondary, outcome: 'held', decision: changed }
    }
    const { created, operation } = await deps.createFailover(body, key, signal)
    failing.delete(pair.secondary)
    deps.log.warn(
      { secondary: pair.secondary, operation_id: operation.id, created },
      created ? 'automatic failover started' : 'automatic failover already started (the same key)',
    )
    return { secondary: pair.secondary, outcome: created ? 'started' : 'replayed', operation_id: operation.id }
  }

  async function round(): Promise<AutoFailoverOutcome[]> {
    const outcomes: AutoFailoverOutcome[] = []
    // The pairs whose setting was ever written, in one read: the others are off, and are not read one by one.
    const set = await deps.store.metaUnder(settingKey(''))
    for (const pair of await deps.store.pairedSecondaries()) {
      const raw = set.get(settingKey(pair.secondary))
      if (raw === undefined) continue
      try {
        const outcome = await consider(pair, parseAutoFailover(raw))
        if (outcome !== undefined) outcomes.push(outcome)
      } catch (err) {
        const code = isCodedError(err) ? err.code : 'GATEWAY_ERR_INTERNAL'
        // A pair that is no more (its roles changed by a failover or switchover) has nothing to fail over.
        if (code === 'GATEWAY_ERR_PAIR_NOT_FOUND') continue
        const detail = err instanceof Error ? err.message : String(err)
        // Once per cause, as the decisions are: a cluster held for minutes is one warning, not one a round.
        if (failing.get(pair.secondary) !== code) {
          failing.set(pair.secondary, code)
          deps.log.warn({ secondary: pair.secondary, code, detail }, 'automatic failover not started')
        }
        outcomes.push({ secondary: pair.secondary, outcome: 'failed', code, detail })
      }
    }
    return outcomes
  }

  const rounds = repeatRounds({
    round,
    everyMs: deps.intervalMs,
    log: deps.log,
    what: 'automatic failover',
    onStop: () => closing.abort(),
  })
  return { round, start: () => rounds.start(deps.intervalMs), stop: rounds.stop }
}
