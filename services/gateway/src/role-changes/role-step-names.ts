/** The steps of one role change, in order; those naming a cluster are planned at creation, one per follower. */
export const ROLE_STEPS = [
  'demote_primary',
  'wait_catch_up',
  'promote_secondary',
  'verify_new_primary',
  'rejoin_old_primary',
  'update_primary',
  'verify_pairs',
  'new_dr_operation_token',
] as const
export type RoleStep = (typeof ROLE_STEPS)[number]

export interface ParsedStep {
  /** The leg prefix ('' for a switchover, 'out.' / 'back.' for a drill's legs). */
  prefix: string
  step: RoleStep
  /** update_primary:<cluster> */
  cluster?: string
}

/** The step names of one leg: `update_primary:<cluster>` once per other follower of the old primary. */
export function legStepNames(prefix: string, otherFollowers: readonly string[]): string[] {
  return ROLE_STEPS.flatMap((step) =>
    step === 'update_primary' ? otherFollowers.map((c) => `${prefix}${step}:${c}`) : [`${prefix}${step}`],
  )
}

/** The role step a planned name stands for, or undefined for another step (preflight, hooks, hold). */
export function parseRoleStep(name: string, prefixes: readonly string[]): ParsedStep | undefined {
  for (const prefix of prefixes) {
    if (!name.startsWith(prefix)) continue
    const rest = name.slice(prefix.length)
    const [step, cluster] = rest.split(':', 2) as [string, string | undefined]
    if (!(ROLE_STEPS as readonly string[]).includes(step)) continue
    if ((step === 'update_primary') !== (cluster !== undefined && cluster !== '')) continue
    return { prefix, step: step as RoleStep, ...(cluster === undefined ? {} : { cluster }) }
  }
  return undefined
}
