import type { Leg } from '../role-changes/leg.ts'
import { legStepNames } from '../role-changes/role-step-names.ts'

export interface PlanInput {
  from: string
  to: string
  followers: Leg['followers']
  preHook: boolean
  postHook: boolean
}

/** The steps of a switchover, planned once at creation (one update_primary per other secondary). */
export function switchoverSteps(p: PlanInput): string[] {
  const others = p.followers.filter((f) => f.cluster !== p.from).map((f) => f.cluster)
  return [
    'preflight',
    ...(p.preHook ? ['pre_hook'] : []),
    ...legStepNames('', others),
    ...(p.postHook ? ['post_hook'] : []),
  ]
}

/** The same plan in words, for the dry run. */
export function describeLeg(p: Pick<PlanInput, 'from' | 'to' | 'followers'>, catchUpTimeout: string): string[] {
  const others = p.followers.filter((f) => f.cluster !== p.from)
  return [
    `demote ${p.from}: from here it refuses writes, and keeps all its data`,
    `wait (at most ${catchUpTimeout}) until ${p.to} holds everything ${p.from} wrote; if it does not, promote ${p.from} back and stop, nothing lost`,
    `promote ${p.to} with the DR operation token the gateway keeps`,
    `wait until ${p.to} accepts writes: the write-unavailable window ends`,
    `re-point ${p.from} to ${p.to} without a wipe (public key from ${p.from}, token from ${p.to}, update-primary)`,
    ...others.map((f) => `re-point ${f.cluster} to ${p.to} as ${f.secondary_id} without a wipe`),
    `check that ${p.followers.map((f) => f.cluster).join(', ')} ${p.followers.length === 1 ? 'streams' : 'stream'} from ${p.to}`,
    `have ${p.to} issue a DR operation token for the next role change`,
  ]
}
