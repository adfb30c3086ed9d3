import type { Leg } from '../role-changes/leg.ts'
import { legStepNames } from '../role-changes/role-step-names.ts'

/** The leg prefixes of a drill's step names: there, then back. */
export const OUT = 'out.'
export const BACK = 'back.'

/** A drill's steps: preflight, pre-hook, the switchover there, the hold, the switchover back, post-hook. */
export function drillSteps(p: { legs: [Leg, Leg]; preHook: boolean; postHook: boolean }): string[] {
  const others = (leg: Leg) => leg.followers.filter((f) => f.cluster !== leg.from).map((f) => f.cluster)
  return [
    'preflight',
    ...(p.preHook ? ['pre_hook'] : []),
    ...legStepNames(OUT, others(p.legs[0])),
    'hold',
    ...legStepNames(BACK, others(p.legs[1])),
    ...(p.postHook ? ['post_hook'] : []),
  ]
}
