import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { type FollowState, followState } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext } from './role-change-context.ts'

/** Every follower streams from the new primary at once (one read of the primary for all). Changes nothing. */
export async function verifyPairs(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  let states: Array<[string, FollowState]> = []
  const ok = await pollUntil(
    async () => {
      const primary = await ctx.client(leg.to).status(signal)
      states = await Promise.all(
        leg.followers.map(async (f): Promise<[string, FollowState]> => {
          const s = await ctx
            .client(f.cluster)
            .status(signal)
            .catch(() => undefined)
          return [f.cluster, s === undefined ? 'unknown' : followState(s, primary, f.secondary_id)]
        }),
      )
      return states.every(([, s]) => s === 'streaming') ? true : undefined
    },
    { timeoutMs: ctx.settings.settleTimeoutMs, intervalMs: ctx.settings.pollMs, signal },
  )
  if (ok === undefined) {
    const behind = states.filter(([, s]) => s !== 'streaming').map(([c, s]) => `${c}: ${s}`)
    throw SwitchoverErrors.followerNotStreaming(`Not streaming from ${leg.to}: ${behind.join(', ')}`)
  }
  await ctx.saveLeg(index, { finished_at: iso(ctx.now()) })
  return {
    status: 'succeeded',
    detail: `${leg.followers.map((f) => f.cluster).join(', ')} ${leg.followers.length === 1 ? 'streams' : 'stream'} from ${leg.to}`,
  }
}
