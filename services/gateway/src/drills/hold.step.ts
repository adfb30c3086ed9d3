import { setTimeout as sleep } from 'node:timers/promises'
import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { HoldProgress } from './drills.schemas.ts'

/** Warnings kept of refused write checks during one hold (the count is complete). */
const MAX_HOLD_WARNINGS = 5
/** How soon a cancellation asked during the hold is noticed (a read of one flag in the store). */
const CANCEL_POLL_MS = 500

/**
 * The drill's hold: `to` serves as primary until the time written when the hold began (a resumed hold ends on time,
 * not later), and its agent checks every interval that it accepts a write. A cancellation cuts the hold short: the
 * drill then switches back at once, its safe end.
 */
export async function holdStep(r: RoleChangeRun, holdMs: number, intervalMs: number): Promise<StepResult> {
  const leg = r.roles.leg(0)
  const client = r.roles.client(leg.to)
  const signal = r.roles.signal()
  const now = () => r.roles.now()
  const began = now()
  let hold = (r.data().hold as HoldProgress | undefined) ?? {
    started_at: new Date(began).toISOString(),
    until: new Date(began + holdMs).toISOString(),
    checks: 0,
    refused: 0,
    unanswered: 0,
    ended_at: null,
    cut_short: false,
  }
  const accepted = () => hold.checks - hold.refused - (hold.unanswered ?? 0)
  // Ended before a restart (its success written only with the next step's start): as it ended, not held again.
  if (hold.ended_at !== null) {
    const how = hold.cut_short ? 'cut short by a cancellation' : `${leg.to} served as DR primary for the hold`
    return { status: 'succeeded', detail: `${how}: ${accepted()} of ${hold.checks} write checks accepted` }
  }
  const save = (patch: Partial<HoldProgress>) => {
    hold = { ...hold, ...patch }
    return r.saveData({ hold })
  }
  await save({})
  const cutShort = async (): Promise<StepResult> => {
    await save({ ended_at: new Date(now()).toISOString(), cut_short: true })
    return { status: 'succeeded', detail: `hold cut short by a cancellation: switching back to ${leg.from} now` }
  }
  for (;;) {
    if (await r.run.cancelRequested()) return cutShort()
    // A check its agent gave no answer to is not a refusal by Vault: counted apart. One cut by the gateway stopping
    // is not counted at all (the hold resumes where it was).
    const check = await client.checkWrites(signal).catch((err: Error) => {
      signal.throwIfAborted()
      return { writable: false, detail: err.message, unanswered: true }
    })
    const unanswered = 'unanswered' in check
    await save({
      checks: hold.checks + 1,
      refused: hold.refused + (check.writable || unanswered ? 0 : 1),
      unanswered: (hold.unanswered ?? 0) + (unanswered ? 1 : 0),
    })
    if (!check.writable && hold.refused + (hold.unanswered ?? 0) <= MAX_HOLD_WARNINGS) {
      const what = unanswered ? `gave no answer to a write check` : 'refused a write'
      await r.roles.warn(`hold: ${leg.to} ${what} at ${new Date(now()).toISOString()}: ${check.detail}`)
    }
    const nextCheck = Math.min(now() + intervalMs, Date.parse(hold.until))
    if (Date.parse(hold.until) <= now()) break
    for (let left = nextCheck - now(); left > 0; left = nextCheck - now()) {
      await sleep(Math.min(CANCEL_POLL_MS, left), undefined, { signal })
      if (await r.run.cancelRequested()) return cutShort()
    }
  }
  await save({ ended_at: new Date(now()).toISOString() })
  return {
    status: 'succeeded',
    detail: `${leg.to} served as DR primary for the hold: ${accepted()} of ${hold.checks} write checks accepted`,
  }
}
