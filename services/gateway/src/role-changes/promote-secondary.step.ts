import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { clusterIdOf, drMode } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext } from './role-change-context.ts'

/**
 * The longest the promote waits for the old primary's status: this operation demoted it, or the failover's preflight
 * judged its site lost. A site cut off by a black hole (packets dropped, not refused) would otherwise hold the promote
 * for the agent timeout and its retries (45 s with the defaults); no answer in time is read as none, as a refusal is.
 */
export const OLD_PRIMARY_LOOK_MS = 3_000

/**
 * Promotes the caught-up secondary with the DR operation token, once the old primary is seen still demoted (never two
 * primaries). promote_sent_at is written before the call: a resumed run that finds `to` a primary of the same
 * replication set knows the promote was its own.
 */
export async function promoteSecondary(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  const client = ctx.client(leg.to)
  // `to` as the catch-up just saw it; the old primary is read now: it must not be a primary again.
  const [target, old] = await Promise.all([
    ctx.recentStatus(leg.to, signal),
    ctx
      .client(leg.from)
      .status(AbortSignal.any([signal, AbortSignal.timeout(OLD_PRIMARY_LOOK_MS)]))
      .catch(() => undefined),
  ])
  const sameSet = clusterIdOf(target) === leg.replication_cluster_id
  if (drMode(target) === 'primary' && leg.promote_sent_at !== null && sameSet) {
    await Promise.all([
      ctx.saveLeg(index, { promoted_at: leg.promoted_at ?? iso(ctx.now()) }),
      ctx.setRole(leg.to, 'primary'),
    ])
    return { status: 'succeeded', detail: `${leg.to} already is the DR primary: the promote sent earlier took effect` }
  }
  if (drMode(target) !== 'secondary' || !sameSet) {
    throw SwitchoverErrors.unexpectedRole(
      `${leg.to} is in DR mode ${drMode(target)} (replication set ${clusterIdOf(target) ?? 'none'}), not a DR secondary of ${leg.replication_cluster_id ?? 'the pair'}`,
    )
  }
  if (old !== undefined && drMode(old) === 'primary') {
    throw SwitchoverErrors.unexpectedRole(
      `${leg.from} is a DR primary again: promoting ${leg.to} now would make two primaries`,
    )
  }
  const token = await ctx.drToken()
  const epoch = await ctx.bumpEpoch({ leg: index, patch: { promote_sent_at: iso(ctx.now()) } })
  await client.promote({ dr_operation_token: token }, { epoch, signal })
  await Promise.all([ctx.saveLeg(index, { promoted_at: iso(ctx.now()) }), ctx.setRole(leg.to, 'primary')])
  const unseen = old === undefined ? ` (${leg.from} gave no status: it was demoted by this operation)` : ''
  return { status: 'succeeded', detail: `${leg.to} promoted at epoch ${epoch}: it is the DR primary${unseen}` }
}
