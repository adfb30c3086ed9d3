import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { type FollowState, followState } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext, stepPoll } from './role-change-context.ts'

/**
 * Every follower streams from the new primary at once: one read of the primary for all, made now (it must list each
 * follower connected under its id), each follower first as its own re-pointing just saw it, then all read together
 * until they stream; a read that fails is tried again until the deadline. Changes nothing.
 */
export async function verifyPairs(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  let states: Array<[string, FollowState]> = []
  let looks = 0
  const ok = await pollUntil(
    async () => {
      const fresh = looks++ > 0
      // A read that fails is looked at again at the next poll, the primary's as a follower's.
      const [primary, ...followers] = await Promise.all([
        ctx
          .client(leg.to)
          .status(signal)
          .catch(() => undefined),
        ...leg.followers.map((f) =>
          (fresh ? ctx.client(f.cluster).status(signal) : ctx.recentStatus(f.cluster, signal)).catch(() => undefined),
        ),
      ])
      states = leg.followers.map((f, i): [string, FollowState] => {
        const s = followers[i]
        const known = s !== undefined && primary !== undefined
        return [f.cluster, known ? followState(s, primary, f.secondary_id) : 'unknown']
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
