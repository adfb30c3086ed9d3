import { isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { AgentStatusAnswer } from '../agents/cluster-agent-client.ts'
import type { EpochRaise } from '../store/store.ts'
import { FailoverErrors } from './failover-errors.ts'

/** The store's fencing epoch counter. */
export interface EpochCounter {
  currentEpoch(): Promise<number>
  bumpEpoch(): Promise<number>
  raiseEpoch(from: number, above: number): Promise<EpochRaise | undefined>
}

/** How far below an agent's epoch the store's counter may be for the gateway to raise it by itself. */
export const MAX_EPOCH_RAISE = 10_000

/** An agent refused the call: it carried a fencing epoch lower than one the agent has seen (409). */
export const isStaleEpoch = (err: unknown): boolean =>
  isCodedError(err) && (err as { upstream?: { code?: string } }).upstream?.code === 'AGENT_ERR_STALE_EPOCH'

/**
 * Raises the store's fencing epoch above `agentEpoch`, the highest epoch an agent reports, for a caller that took
 * epoch `from`; answers the epoch to act under, or undefined when a role change bumped the counter since `from` (the
 * caller is stale indeed, and the agent right to refuse it).
 *
 * Safe, because every epoch a gateway of this store acts under is taken from this counter, which only rises: no
 * gateway of this store can hold an epoch above it. An agent that holds one saw it from a store that is no longer
 * this one's state: it was replaced, or restored from a backup older than its last role changes. Raising the counter
 * past it lets this store's calls be admitted again and fences out, as any role change would, a gateway still
 * holding an epoch handed out before the restore. The raise is one atomic step in the store, and remembers the epoch
 * it started from until the next role change: every caller that took that epoch (all the handshakes under way when
 * the store was found behind, on any gateway) acts under the raised one, not only the first to find it. Gateways on
 * another store are not ordered by this counter at all: two stores driving the same agents is a misconfiguration no
 * epoch can catch.
 */
export async function raiseEpochAbove(
  store: EpochCounter,
  from: number,
  agentEpoch: number,
  log?: Pick<FastifyBaseLogger, 'warn'>,
): Promise<number | undefined> {
  const epoch = await store.currentEpoch()
  if (agentEpoch - epoch > MAX_EPOCH_RAISE) {
    throw FailoverErrors.epochBehind(
      `An agent has seen fencing epoch ${agentEpoch}, the store's counter is at ${epoch}: more than ${MAX_EPOCH_RAISE} below`,
    )
  }
  const outcome = await store.raiseEpoch(from, agentEpoch)
  if (outcome?.raised) {
    log?.warn(
      { from: epoch, to: outcome.epoch, agent_epoch: agentEpoch },
      "fencing epoch raised above an agent's: the store was replaced or restored since that agent last saw a role change",
    )
  }
  return outcome?.epoch
}

/**
 * Makes an agent call under `epoch`. When the agent refuses it as stale (409 AGENT_ERR_STALE_EPOCH, checked before
 * it acts) and no role change has bumped the store's counter since the caller took `epoch`, the store is behind the
 * agent, not the caller: the counter is raised above the agent's epoch (raiseEpochAbove; or was, by a concurrent
 * caller), `onRaised` told, and the call made once more under the raised epoch. A refusal after a role change since
 * the caller took its epoch is a stale call indeed: it is thrown as it came.
 */
export async function underEpochFloor<T>(
  store: EpochCounter,
  epoch: number,
  call: (epoch: number) => Promise<T>,
  agentEpoch: () => Promise<number | undefined>,
  opts: { onRaised?: (epoch: number) => void; log?: Pick<FastifyBaseLogger, 'warn'> } = {},
): Promise<T> {
  try {
    return await call(epoch)
  } catch (err) {
    if (!isStaleEpoch(err)) throw err
    const seen = await agentEpoch().catch(() => undefined)
    const raised = seen === undefined ? undefined : await raiseEpochAbove(store, epoch, seen, opts.log)
    if (raised === undefined) throw err
    opts.onRaised?.(raised)
    return call(raised)
  }
}

/** An agent that reports the highest fencing epoch it has seen in its status. */
type EpochReporter = { status(signal?: AbortSignal, opts?: { fresh?: boolean }): Promise<AgentStatusAnswer> }

/** How underEpochFloor reads the epoch an agent has seen: its shared status, read again only if old. */
export const epochSeenBy = (agent: EpochReporter, signal?: AbortSignal) => async () =>
  (await agent.status(signal, { fresh: false })).epoch

/**
 * Makes a call that changes a cluster outside an operation (a pair's DR operation token, the key-share ceremony),
 * fenced as every such call is: under the store's epoch read just before, raised above the agent's when the store is
 * behind it (underEpochFloor). The caller holds no epoch of its own, so a role change between its read and the call
 * (the agent refuses the epoch as stale, the store has moved on) is met by reading the epoch again, once.
 */
export async function callFenced<T>(
  store: EpochCounter,
  agent: EpochReporter,
  call: (epoch: number) => Promise<T>,
  opts: { signal?: AbortSignal | undefined; log?: Pick<FastifyBaseLogger, 'warn'> | undefined } = {},
): Promise<T> {
  const agentEpoch = epochSeenBy(agent, opts.signal)
  const floorOpts = opts.log === undefined ? {} : { log: opts.log }
  const epoch = await store.currentEpoch()
  try {
    return await underEpochFloor(store, epoch, call, agentEpoch, floorOpts)
  } catch (err) {
    const moved = isStaleEpoch(err) && (await store.currentEpoch()) > epoch
    if (!moved) throw err
    return underEpochFloor(store, await store.currentEpoch(), call, agentEpoch, floorOpts)
  }
}
