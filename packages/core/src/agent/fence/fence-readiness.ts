import type { ReadinessCheck } from '../../server/health.ts'
import type { FenceKeeper } from './fence-keeper.ts'

/**
 * The fence on /readyz, always passing: a fenced agent must stay reachable (the gateway clears its fence, an operator
 * reads why), so the fence shows in the check's detail without taking the agent out of a load balancer.
 */
export function fenceReadiness(keeper: FenceKeeper): ReadinessCheck {
  return async () => {
    const r = keeper.record()
    if (r === undefined) return { ok: true, detail: 'not fenced' }
    const state =
      r.demoted_at === null ? 'not demoted yet: demote retried, other changes refused' : `demoted at ${r.demoted_at}`
    return { ok: true, detail: `fenced by ${r.by} at ${r.at} (${r.reason}); ${state}` }
  }
}
