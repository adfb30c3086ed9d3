import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { type CatchUp, catchUp } from './catch-up.ts'
import { iso, type LegKey, type RoleChangeContext, stepPoll } from './role-change-context.ts'

/**
 * Waits, bounded by catch_up_timeout, until the secondary holds everything the demoted primary wrote. Changes
 * nothing, so a stopping gateway may interrupt it and a resumed run waits again.
 */
export async function waitCatchUp(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  const client = ctx.client(leg.to)
  let last: CatchUp = { caughtUp: false, walsBehind: null, reason: `${leg.to} gave no status` }
  let lastRemote: number | null = null
  const caught = await pollUntil(
    async () => {
      const s = await client.status(signal).catch(() => undefined)
      if (s?.replication == null) return undefined
      lastRemote = s.replication.last_remote_wal
      last = catchUp({
        primaryLastWal: leg.demoted_last_wal ?? leg.last_wal_before_demote,
        primaryMerkleRoot: leg.demoted_merkle_root,
        secondaryLastRemoteWal: s.replication.last_remote_wal,
        secondaryMerkleRoot: s.replication.merkle_root,
      })
      return last.caughtUp ? last : undefined
    },
    stepPoll(ctx, ctx.settings.catchUpTimeoutMs, signal),
  )
  if (caught === undefined) {
    const why = last.caughtUp ? '' : last.reason
    throw SwitchoverErrors.catchUpTimeout(
      `${leg.to} did not catch up with the demoted ${leg.from} within ${ctx.settings.catchUpTimeoutMs} ms: ${why}`,
    )
  }
  await ctx.saveLeg(index, { caught_up_at: iso(ctx.now()), secondary_last_remote_wal: lastRemote, wals_lost: 0 })
  return {
    status: 'succeeded',
    detail: `${leg.to} holds everything ${leg.from} wrote (${caught.by === 'merkle_root' ? 'equal merkle roots' : 'equal WAL index'}, last_remote_wal ${lastRemote ?? 'unknown'})`,
  }
}
