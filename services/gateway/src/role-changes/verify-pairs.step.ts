import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { type FollowState, followState } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext, stepPoll } from './role-change-context.ts'

/**
 * Every follower streams from the new primary at once (one read of the primary for all, all read together, now: the
 * pairs as they are once every re-pointing is done). Changes nothing.
 */
export async function verifyPairs(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  let states: Array<[string, FollowState]> = []
  const ok = await pollUntil(
    async () => {
      const [primary, ...followers] = await Promise.all([
        ctx.client(leg.to).status(signal),
        ...leg.followers.map((f) =>
          ctx
            .client(f.cluster)
            .status(signal)
            .catch(() => undefined),
        ),
      ])
      states = leg.followers.map((f, i): [string, FollowState] => {
        const s = followers[i]
        return [f.cluster, s === undefined ? 'unknown' : followState(s, primary, f.secondary_id)]
      })
      return states.every(([, s]) => s === 'streaming') ? true : undefined
    },
    stepPoll(ctx, ctx.settings.settleTimeoutMs, signal),
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
