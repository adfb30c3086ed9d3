import type { FailoverPlan } from './failovers.schemas.ts'
import type { VantagePoint } from './vantage-points.ts'

/** The vantage points outside the primary's site: a lost site cannot speak for itself, so its agent does not count. */
export const OUTSIDE_POINTS: readonly VantagePoint[] = ['gateway', 'secondary_agent', 'secondary_vault']
/** How many of them must have seen the primary unreachable for down_for before a failover starts by itself. */
export const OUTSIDE_QUORUM = 2

export interface AutoFailoverInputs {
  plan: Pick<FailoverPlan, 'allowed' | 'refusal' | 'primary_verdict' | 'vantage_points' | 'old_primary_fence'>
  downForMs: number
  now: number
  /** When the newest failover of the pair started (the shared journal); null when none did. */
  lastFailoverAt: number | null
  blockMs: number
}

export type AutoFailoverDecision =
  | { fire: true; reason: string }
  | { fire: false; code: 'blocked' | 'refused' | 'no_outside_quorum' | 'no_self_fence'; reason: string }

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

/**
 * Whether a gateway fails a pair over by itself now: the plan (allow_data_loss false) allows it, something fences the
 * old primary, at least two vantage points outside the primary's site have seen it unreachable for down_for, and the
 * anti-flap window has passed (looked at last: 'blocked' says a failover was held back, not that one was not due).
 *
 * Nothing can tell a lost site from one cut off that still serves its own clients. Unattended, a failover is made
 * only when the old primary cannot keep taking writes beside the new one: its agent answers the gateway (which
 * fences it), or was last seen fencing it itself on isolation (the plan waits until it has, by its reckoning). An agent seen
 * with self-fencing off, or never seen, holds it back: a person decides then (pg_auto_failover and Patroni promote
 * only once the old side has demoted itself).
 */
export function decideAutoFailover(input: AutoFailoverInputs): AutoFailoverDecision {
  const { plan, downForMs, now, lastFailoverAt, blockMs } = input
  if (!plan.allowed || plan.primary_verdict !== 'down') {
    const refusal = plan.refusal ?? { code: `PRIMARY_${plan.primary_verdict.toUpperCase()}`, detail: 'not down' }
    return { fire: false, code: 'refused', reason: `the plan refuses: ${refusal.code}: ${refusal.detail}` }
  }
  const fence = plan.old_primary_fence
  if (fence.by === 'none' || fence.by === 'unknown') {
    const seen = fence.by === 'none' ? `was last seen (${fence.seen_at}) with self-fencing off` : 'was never seen'
    return {
      fire: false,
      code: 'no_self_fence',
      reason: `nothing would fence the old primary if its site is only cut off: its agent ${seen} (VAULT_DR_FENCE_ON_ISOLATION); set it on that agent for automatic failovers, or fail over by hand (vault-dr failover) once nothing reaches the old primary`,
    }
  }
  if (fence.by === 'self' && fence.followers_unknown.length > 0) {
    return {
      fire: false,
      code: 'no_self_fence',
      reason: `the old primary's agent fences it only once every DR secondary is disconnected, and ${fence.followers_unknown.join(', ')} gave no status: fail over by hand (vault-dr failover) once none of them streams from it`,
    }
  }
  const outside = plan.vantage_points.filter((v) => OUTSIDE_POINTS.includes(v.point))
  const long = outside.filter((v) => v.reaches === false && now - Date.parse(v.since) >= downForMs)
  const described = (vs: typeof outside) =>
    vs.map((v) => `${v.point} (${v.reaches === false ? seconds(now - Date.parse(v.since)) : String(v.reaches)})`)
  if (long.length < OUTSIDE_QUORUM) {
    return {
      fire: false,
      code: 'no_outside_quorum',
      reason: `the primary must be unreachable for ${seconds(downForMs)} from ${OUTSIDE_QUORUM} vantage points outside its site; seen so: ${described(outside).join(', ')}`,
    }
  }
  // Last: the anti-flap window holds back only a failover that would start otherwise (said at warn, as it matters then).
  if (lastFailoverAt !== null && now - lastFailoverAt < blockMs) {
    return {
      fire: false,
      code: 'blocked',
      reason: `a failover of this pair started ${seconds(now - lastFailoverAt)} ago: none starts by itself until ${new Date(lastFailoverAt + blockMs).toISOString()} (VAULT_DR_AUTO_FAILOVER_BLOCK)`,
    }
  }
  return {
    fire: true,
    reason: `the primary is unreachable from ${described(long).join(', ')} (down_for ${seconds(downForMs)}) and the plan allows a failover without data loss`,
  }
}
