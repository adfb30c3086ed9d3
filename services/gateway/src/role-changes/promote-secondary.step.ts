import { isCodedError } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { clusterIdOf, drMode } from './cluster-roles.ts'
import { requireDrMode } from './readable-status.ts'
import { iso, type LegKey, type RoleChangeContext } from './role-change-context.ts'

/**
 * The longest the promote waits for the old primary's status: this operation demoted it, or the failover's preflight
 * judged its site lost. A site cut off by a black hole (packets dropped, not refused) would otherwise hold the promote
 * for the agent timeout and its retries (45 s with the defaults); no answer in time is read as none, as a refusal is.
 */
export const OLD_PRIMARY_LOOK_MS = 3_000

/**
 * The answers after which a promote has not happened and will not: the agent refused it before acting (a stale
 * epoch, a fence, not a DR secondary, a change asked earlier still under way) or Vault refused it (the DR operation
 * token, still catching up, another 4xx).
 */
const PROMOTE_REFUSED: ReadonlySet<string> = new Set([
  'AGENT_ERR_STALE_EPOCH',
  'AGENT_ERR_OPERATION_IN_FLIGHT',
  'AGENT_ERR_FENCED',
  'AGENT_ERR_NOT_DR_SECONDARY',
  'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED',
  'AGENT_ERR_CATCHING_UP',
  'VAULT_ERR_PERMISSION_DENIED',
  'VAULT_ERR_REJECTED',
])

/** The refusals to promote because the old primary is a DR primary again (a failover's fence may be demoting it). */
const oldPrimaryBack = new WeakSet<Error>()

/** Whether the promote was refused because the old primary answered as a DR primary again. */
export const isOldPrimaryBack = (err: unknown): boolean => err instanceof Error && oldPrimaryBack.has(err)

/** The agent's code of a failure, as the gateway's agent client keeps it. */
const refusalCode = (err: unknown): string | undefined =>
  isCodedError(err) ? (err.upstream?.code ?? err.code) : undefined

/** Whether a promote's failure was a refusal. */
function promoteRefused(err: unknown): boolean {
  return PROMOTE_REFUSED.has(refusalCode(err) ?? '')
}

/**
 * Promotes the caught-up secondary with the DR operation token, once the old primary is seen still demoted (never two
 * primaries). promote_sent_at is written before the call: a resumed run that finds `to` a primary of the same
 * replication set knows the promote was its own. A refused promote takes it back to what it was before (cleared on a
 * first send), so the undo of the leg promotes the old primary back rather than take `to` for the new one.
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
  requireDrMode(leg.to, target, 'the promote')
  const sameSet = clusterIdOf(target) === leg.replication_cluster_id
  const tookEffect = async (): Promise<StepResult> => {
    await ctx.saveLeg(index, { promoted_at: ctx.leg(index).promoted_at ?? iso(ctx.now()) })
    await ctx.setRole(leg.to, 'primary')
    return { status: 'succeeded', detail: `${leg.to} already is the DR primary: the promote sent earlier took effect` }
  }
  if (drMode(target) === 'primary' && leg.promote_sent_at !== null && sameSet) return tookEffect()
  if (drMode(target) !== 'secondary' || !sameSet) {
    throw SwitchoverErrors.unexpectedRole(
      `${leg.to} is in DR mode ${drMode(target)} (replication set ${clusterIdOf(target) ?? 'none'}), not a DR secondary of ${leg.replication_cluster_id ?? 'the pair'}`,
    )
  }
  if (old !== undefined && drMode(old) === 'primary') {
    const err = SwitchoverErrors.unexpectedRole(
      `${leg.from} is a DR primary again: promoting ${leg.to} now would make two primaries`,
    )
    oldPrimaryBack.add(err)
    throw err
  }
  const token = await ctx.drToken()
  await ctx.beforePromote?.()
  // A promote an earlier run sent (it got no answer, and `to` is not a primary yet) may still land.
  const earlier = leg.promote_sent_at
  const epoch = await ctx.bumpEpoch({ leg: index, patch: { promote_sent_at: iso(ctx.now()) } })
  try {
    await client.promote({ dr_operation_token: token }, { epoch, signal })
  } catch (err) {
    // This one was refused, so it is not outstanding: the record goes back to what it was before it (none, so an undo
    // may promote the old primary back; or the earlier send, which a refusal says nothing about: Vault may have refused
    // this one because that one is taking effect). Any other failure (no answer, a timeout, Vault failing part way)
    // leaves it on record as sent, as it may still take effect.
    if (!promoteRefused(err)) throw err
    await ctx.saveLeg(index, { promote_sent_at: earlier })
    // With an earlier promote outstanding, a refusal may be that one landing since `to` was read above (refused by
    // the agent as no DR secondary now, or by Vault itself when the agent guarded on a status a moment old).
    if (earlier !== null) {
      const now = await client.status(signal).catch(() => undefined)
      if (now !== undefined && drMode(now) === 'primary' && clusterIdOf(now) === leg.replication_cluster_id) {
        return tookEffect()
      }
    }
    throw err
  }
  await ctx.saveLeg(index, { promoted_at: iso(ctx.now()) })
  await ctx.setRole(leg.to, 'primary')
  // Not a primary either way: this operation demoted it (a switchover), or its site was judged lost (a failover).
  const why = leg.demote_sent_at === null ? 'its site was judged lost' : 'it was demoted by this operation'
  const unseen = old === undefined ? ` (${leg.from} gave no status: ${why})` : ''
  return { status: 'succeeded', detail: `${leg.to} promoted at epoch ${epoch}: it is the DR primary${unseen}` }
}
