import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { windowMs } from './catch-up.ts'
import { isRunningPrimary } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext } from './role-change-context.ts'

/**
 * Waits until the new primary runs and accepts a write (its agent writes and reads back a harmless policy): the end
 * of the write-unavailable window that began with the demote. The first time seen is kept across a resume.
 */
export async function verifyNewPrimary(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  const client = ctx.client(leg.to)
  let why = 'no answer yet'
  const accepted = await pollUntil(
    async () => {
      const status = await client.status(signal).catch((err: Error) => {
        why = err.message
        return undefined
      })
      if (status === undefined) return undefined
      if (!isRunningPrimary(status)) {
        why = `DR mode ${status.replication?.mode ?? 'unknown'}, state ${status.replication?.state ?? 'unknown'}`
        return undefined
      }
      const check = await client.checkWrites(signal).catch((err: Error) => ({ writable: false, detail: err.message }))
      why = check.detail
      return check.writable ? ctx.now() : undefined
    },
    { timeoutMs: ctx.settings.settleTimeoutMs, intervalMs: ctx.settings.pollMs, signal },
  )
  if (accepted === undefined) {
    throw SwitchoverErrors.notWritable(
      `${leg.to} did not accept a write within ${ctx.settings.settleTimeoutMs} ms: ${why}`,
    )
  }
  const writesAt = leg.writes_accepted_at ?? iso(accepted)
  const unavailable = windowMs(leg.demote_sent_at, writesAt)
  await ctx.saveLeg(index, { writes_accepted_at: writesAt, write_unavailable_ms: unavailable })
  return {
    status: 'succeeded',
    detail: `${leg.to} runs as DR primary and accepts writes; writes were refused for ${unavailable ?? '?'} ms`,
  }
}
