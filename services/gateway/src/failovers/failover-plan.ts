import type { Pair, PairCheck } from '../pairs/pairs.schemas.ts'
import type { LossEstimate } from './data-loss.ts'
import type { FailoverPlan, OldPrimaryFence, PlanItem } from './failovers.schemas.ts'
import { type FenceRecord, UNREADABLE_FENCE, unreadableFence } from './fence-record.ts'
import { type FollowerRead, followerItems } from './follower-items.ts'
import { oldPrimaryFenceItem } from './old-primary-fence.ts'
import type { PrimaryVerdict } from './primary-down.ts'
import type { TrackedView } from './vantage-history.ts'

export interface PlanInputs {
  pair: Pair
  /** The pair's readiness checks (pairChecks): P3 merkle, P4 token, P5 versions and P7 are the failover's too. */
  readiness: PairCheck[]
  views: TrackedView[]
  verdict: PrimaryVerdict
  loss: LossEstimate
  followers: string[]
  /** The followers' statuses, read for the plan. */
  followerReads: FollowerRead[]
  allowDataLoss: boolean
  /** What keeps the old primary from taking writes beside the new one. */
  fence: OldPrimaryFence
  /** The fence an earlier failover recorded on this primary, not yet ended by a rejoin (or an entry no one can read). */
  earlierFailover: FenceRecord | typeof UNREADABLE_FENCE | undefined
}

/** The steps of a failover, planned at creation: one per secondary that follows the new primary. */
export function failoverSteps(followers: readonly string[]): string[] {
  return [
    'preflight',
    'promote_secondary',
    'fence_old_primary',
    'verify_new_primary',
    ...followers.map((f) => `update_primary:${f}`),
    'new_dr_operation_token',
    'record_pairs',
  ]
}

/** Readiness checks that still mean something once the primary is gone (P1/P2 become the vantage points and the loss). */
const CARRIED = new Set(['P3', 'P4', 'P5', 'P7'])

function primaryItem(verdict: PrimaryVerdict): PlanItem {
  if (verdict.verdict === 'down') {
    return { name: 'primary_down', status: 'pass', code: 'OK', detail: verdict.detail, fix: null }
  }
  return {
    name: 'primary_down',
    status: 'fail',
    code: verdict.verdict === 'healthy' ? 'PRIMARY_HEALTHY' : 'PRIMARY_NOT_DOWN',
    detail: verdict.detail,
    fix: verdict.fix,
  }
}

/**
 * A primary an earlier failover already promoted another cluster away from: a failover of one of its other
 * secondaries would make a second primary beside that one. Only the same target again passes (the earlier promote
 * may never have landed: the promote step reads which of them is the primary).
 */
function earlierFailoverItem(fence: FenceRecord | typeof UNREADABLE_FENCE | undefined, pair: Pair): PlanItem {
  const name = 'earlier_failover'
  if (fence === undefined) {
    return { name, status: 'pass', code: 'OK', detail: `no failover away from ${pair.primary} is on record`, fix: null }
  }
  if (fence === UNREADABLE_FENCE) {
    return {
      name,
      status: 'fail',
      code: 'FENCE_UNREADABLE',
      detail: `${unreadableFence(pair.primary)}: an earlier failover may have promoted another of its secondaries, and promoting ${pair.secondary} could make a second DR primary`,
      fix: `Plan the failover on a gateway of the version that wrote the entry (the newest sharing this store). A damaged entry must be restored from a backup of the store first; until then no failover away from ${pair.primary} is allowed.`,
    }
  }
  const earlier = `failover ${fence.failover_id} failed ${pair.primary} away to ${fence.new_primary} at ${fence.fenced_at}, and ${pair.primary} has not rejoined`
  if (fence.new_primary === pair.secondary) {
    return {
      name,
      status: 'pass',
      code: 'OK',
      detail: `${earlier}: this one fails over to ${pair.secondary} again`,
      fix: null,
    }
  }
  return {
    name,
    status: 'fail',
    code: 'PRIMARY_FAILED_OVER',
    detail: `${earlier}: promoting ${pair.secondary} too would make a second DR primary beside ${fence.new_primary}`,
    fix: `Read ${fence.new_primary}'s role (vault-dr clusters status ${fence.new_primary}). A DR primary: re-point ${pair.secondary} to it instead (generate-public-key on ${pair.secondary}, secondary-token with that key on ${fence.new_primary}, update-primary on ${pair.secondary}), then rejoin ${pair.primary} (vault-dr rejoin ${pair.primary}). Still a DR secondary (the earlier promote never landed): fail over to ${fence.new_primary} again.`,
  }
}

/**
 * The verdict and loss for an old primary that answers as a DR secondary while the fence of an earlier failover to
 * this same secondary is on record: that fence demoted it, and the promote never landed (the secondary is still one).
 */
function demotedByEarlierFailover(
  fence: FenceRecord | typeof UNREADABLE_FENCE | undefined,
  pair: Pair,
): { verdict: PrimaryVerdict; loss: LossEstimate } | undefined {
  if (fence === undefined || fence === UNREADABLE_FENCE || fence.new_primary !== pair.secondary) return undefined
  if (pair.clusters.primary.mode !== 'secondary' || pair.clusters.secondary.mode !== 'secondary') return undefined
  const last = fence.last_wal
  const remote = pair.lag.secondary_last_remote_wal
  const wals = last === null || remote === null ? null : Math.max(0, last - remote)
  return {
    verdict: {
      verdict: 'down',
      detail: `${pair.primary} answers as a DR secondary, demoted by the fence of failover ${fence.failover_id}, and ${pair.secondary} is no primary yet: no cluster takes writes`,
    },
    loss: {
      wals,
      primary_last_wal: last,
      secondary_last_remote_wal: remote,
      comparison_age_s: null,
      detail:
        wals === null
          ? `${pair.primary}'s last WAL before its demote is not on record (or ${pair.secondary}'s is unknown): the loss cannot be told`
          : `${pair.primary} had written WAL ${last} when its fence demoted it; ${pair.secondary} has received ${remote}: ${wals} WAL(s) lost`,
    },
  }
}

function lossItem(loss: LossEstimate, allowDataLoss: boolean): PlanItem {
  if (loss.wals === 0) return { name: 'data_loss', status: 'pass', code: 'OK', detail: loss.detail, fix: null }
  const code = loss.wals === null ? 'DATA_LOSS_UNKNOWN' : 'DATA_LOSS'
  if (allowDataLoss) {
    return { name: 'data_loss', status: 'warn', code, detail: `${loss.detail} (allowed: allow_data_loss)`, fix: null }
  }
  return {
    name: 'data_loss',
    status: 'fail',
    code,
    detail: loss.detail,
    fix: 'Bring the primary back if you can (nothing is lost then), or fail over knowingly with allow_data_loss.',
  }
}

function tokenSource(pair: Pair): FailoverPlan['dr_operation_token'] {
  const kept = pair.dr_operation_token
  const keptUsable = kept !== null && Date.parse(kept.expires_at) > Date.parse(pair.checked_at)
  const ceremony = pair.dr_ceremony_token?.created_at ?? null
  return { source: keptUsable ? 'kept' : ceremony !== null ? 'ceremony' : null, kept, ceremony_created_at: ceremony }
}

/**
 * The plan of a failover and whether it may start: every item pass / warn / fail with a fix. The refusal is the
 * first failing item, in the order an operator must settle them: is the primary lost, what would be lost, can
 * the secondary be promoted.
 */
export function composePlan(input: PlanInputs): FailoverPlan {
  const { pair, views, followers } = input
  // An earlier failover to this secondary whose promote never landed, its old primary back and demoted by its fence:
  // no cluster takes writes, so the old primary counts as down, and the loss is what the fence recorded.
  const demoted = demotedByEarlierFailover(input.earlierFailover, pair)
  const verdict = demoted?.verdict ?? input.verdict
  const loss = demoted?.loss ?? input.loss
  const carried = input.readiness
    .filter((c) => CARRIED.has(c.id))
    .map(({ name, status, code, detail, fix }): PlanItem => ({ name, status, code, detail, fix }))
  const items = [
    earlierFailoverItem(input.earlierFailover, pair),
    primaryItem(verdict),
    oldPrimaryFenceItem(input.fence, pair.primary),
    lossItem(loss, input.allowDataLoss),
    ...carried,
    ...followerItems(pair, input.followerReads),
  ]
  const failed = items.find((i) => i.status === 'fail')
  return {
    primary: pair.primary,
    secondary: pair.secondary,
    allowed: failed === undefined,
    refusal: failed === undefined ? null : { code: failed.code, detail: failed.detail, fix: failed.fix },
    primary_verdict: verdict.verdict,
    vantage_points: views.map(({ point, reaches, since, detail }) => ({ point, reaches, since, detail })),
    data_loss: loss,
    dr_operation_token: tokenSource(pair),
    followers,
    old_primary_fence: input.fence,
    fencing: [
      'raise the role epoch before promoting: agents refuse every call carrying an older one (a late gateway included)',
      `record ${pair.primary} as fenced: once its agent answers again, the gateway has it demote ${pair.primary} before anything else`,
      `withdraw ${pair.primary} from load balancers and DNS: its agent's GET /serving answers 503 from the fence on, for balancers that check it; DNS and balancers that do not are the operator's to change`,
      `afterwards: vault-dr rejoin ${pair.primary} makes it a DR secondary of ${pair.secondary} without a wipe`,
    ],
    steps: failoverSteps(followers),
    items,
    pair,
  }
}
