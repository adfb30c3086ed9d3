import { setTimeout as sleep } from 'node:timers/promises'
import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'

/** The first wait before a step whose agent gave no answer runs again, doubled up to the longest. */
const FIRST_WAIT_MS = 250
const LONGEST_WAIT_MS = 2_000

/** Failures a step marked as passing (runAgain): what it found will change by itself, without it. */
const toRunAgain = new WeakSet<Error>()

/**
 * Marks a step's failure as one to run the step again after, as an unanswered agent is, rather than to fail on: the
 * state it found is passing (an old primary a recorded fence is demoting). Once the wait is over it fails as it is.
 */
export function runAgain<E extends Error>(err: E): E {
  toRunAgain.add(err)
  return err
}

/** The agents' answer to a call that would overlap one still under way (a role change, or a mint during a demote). */
const AGENT_BUSY = 'AGENT_ERR_OPERATION_IN_FLIGHT'

/**
 * An unfinished attempt: an agent that gave no answer at all (killed, restarting, cut off, or past the call's deadline): what it did with
 * the request is unknown. Or one that answered that what it was asked earlier is still under way (a call whose
 * answer was lost): the step must read the cluster again once that has settled. Any other answer, even an error, is
 * not this: the agent said what happened.
 */
export function isUnfinished(err: unknown): boolean {
  if (err instanceof Error && toRunAgain.has(err)) return true
  if (!isCodedError(err)) return false
  return (
    err.code === GatewayErrors.agentUnreachable.code ||
    err.code === GatewayErrors.agentTimeout.code ||
    err.upstream?.code === AGENT_BUSY
  )
}

export interface RerunOptions {
  /** How long after the first unfinished attempt the step may still be run again (0: not at all). */
  forMs: number
  /** Aborts the waits between attempts (a stopping gateway: the step stays running in the store, resumed later). */
  signal: AbortSignal
  /** Told before each wait (the attempt's error and how many attempts went unanswered so far). */
  onUnfinished: (err: unknown, attempts: number) => Promise<void>
}

/**
 * Runs `attempt`, and runs it again from its start while it fails because an agent gave no answer, for at most
 * `forMs`: only for a step that reads where things stand before it acts (as a run resumed after a crash does), so
 * running it again is what a restarted gateway would do, without the restart. Resolves with the first attempt that
 * ends otherwise and how many went unanswered before it; the last unanswered error is thrown once `forMs` is over.
 */
export async function rerunWhileUnfinished<T>(
  attempt: () => Promise<T>,
  opts: RerunOptions,
): Promise<{ value: T; unanswered: number }> {
  let deadline: number | undefined
  let waitMs = FIRST_WAIT_MS
  for (let unanswered = 0; ; unanswered++) {
    try {
      return { value: await attempt(), unanswered }
    } catch (err) {
      deadline ??= performance.now() + opts.forMs
      const left = deadline - performance.now()
      if (!isUnfinished(err) || left <= 0) throw err
      await opts.onUnfinished(err, unanswered + 1)
      await sleep(Math.min(waitMs, left), undefined, { signal: opts.signal })
      waitMs = Math.min(waitMs * 2, LONGEST_WAIT_MS)
    }
  }
}
