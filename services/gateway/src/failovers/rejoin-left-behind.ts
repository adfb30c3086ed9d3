import type { StepResult } from '../operations/step.ts'
import { clusterIdOf, drMode, followState, isRunningPrimary } from '../role-changes/cluster-roles.ts'
import { iso } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import type { RejoinSubject } from './failovers-subject.ts'
import { readFence } from './fence-record.ts'
import { untilRejoinable } from './rejoin-pair-read.ts'
import { ensureRejoinToken } from './rejoin-token.ts'

/** The steps of a rejoin of a cluster a failed operation left behind (nothing fenced it: nothing to lift). */
export const LEFT_BEHIND_REJOIN_STEPS = ['preflight', 'rejoin_old_primary', 'record_pair'] as const

/**
 * Before re-pointing a cluster a failed operation left behind: the primary it is to follow runs as DR primary of the
 * replication set the operation recorded, and the cluster answers as a DR secondary of that set (never a primary:
 * re-pointing one would leave no primary, and a secondary of another set could be wiped). Waits, bounded by the
 * settle timeout, for clusters that do not answer yet; a wrong role fails at once.
 */
export async function leftBehindPreflight(
  deps: FailoverDeps,
  r: RoleChangeRun,
  subject: RejoinSubject,
): Promise<StepResult> {
  const set = r.roles.leg(0).replication_cluster_id
  type Ready = { set: string | null; streamsAs: string | undefined }
  const ready = await untilRejoinable<Ready>(deps, r, subject, async (mine, theirs) => {
    if (!mine.vault.reachable || mine.replication === null)
      return { notYet: `${subject.cluster}'s Vault does not answer its agent` }
    if (!theirs.vault.reachable || theirs.replication === null)
      return { notYet: `${subject.primary}'s Vault does not answer its agent` }
    // A primary a failover failed away from is not followed, even while it still answers as one.
    const recorded = await readFence(deps.store, subject.primary)
    const fenced =
      recorded !== undefined
        ? `failed away from by failover ${recorded.failover_id}`
        : theirs.fenced != null
          ? `its agent holds a fence: ${theirs.fenced.reason}`
          : undefined
    if (fenced !== undefined) {
      throw FailoverErrors.rejoinRoles(`${subject.primary} is fenced (${fenced}): it is not the primary to follow`)
    }
    const primarySet = clusterIdOf(theirs)
    if (!isRunningPrimary(theirs) || (set !== null && primarySet !== set)) {
      throw FailoverErrors.rejoinRoles(
        `${subject.primary} is in DR mode ${drMode(theirs)} (state ${theirs.replication.state ?? 'unknown'}, replication set ${primarySet ?? 'none'}), not the running DR primary operation ${subject.left_by} left${set === null ? '' : ` of set ${set}`}`,
      )
    }
    const mineSet = clusterIdOf(mine)
    if (drMode(mine) !== 'secondary' || mineSet === null || mineSet !== primarySet) {
      throw FailoverErrors.rejoinRoles(
        `${subject.cluster} is in DR mode ${drMode(mine)} (replication set ${mineSet ?? 'none'}): only a DR secondary of ${subject.primary}'s set ${primarySet ?? 'unknown'} is re-pointed`,
      )
    }
    // Already following it under another id (re-activated meanwhile, say): kept as it is, not re-pointed.
    const sid = mine.replication.secondary_id
    const streamsAs = sid != null && followState(mine, theirs, sid) === 'streaming' ? sid : undefined
    return { set: primarySet, streamsAs }
  })
  const token = await ensureRejoinToken(deps, r, subject.primary, ready.set)
  await r.roles.saveLeg(0, {
    replication_cluster_id: ready.set,
    ...(ready.streamsAs === undefined
      ? {}
      : { followers: [{ cluster: subject.cluster, secondary_id: ready.streamsAs }] }),
  })
  const already = ready.streamsAs === undefined ? '' : `; it already streams from it as ${ready.streamsAs}`
  return {
    status: 'succeeded',
    detail: `${subject.cluster} is a DR secondary and ${subject.primary} runs as DR primary of the same replication set${already}; ${token}`,
  }
}

/** Once it streams: the pair recorded and the registry's role as Vault reports it. Nothing was fenced, so none lifted. */
export async function recordLeftBehindPair(deps: FailoverDeps, r: RoleChangeRun, subject: RejoinSubject) {
  const leg = r.roles.leg(0)
  const sid = leg.followers[0]?.secondary_id ?? subject.cluster
  await r.roles.recordPairing({ secondary: subject.cluster, primary: subject.primary, secondary_id: sid })
  await r.roles.setRole(subject.cluster, 'secondary')
  // Its preflight read it as the running DR primary: a promote that got no answer left the registry behind.
  await r.roles.setRole(subject.primary, 'primary')
  await r.roles.saveLeg(0, { finished_at: iso(deps.now()) })
  return {
    status: 'succeeded' as const,
    detail: `${subject.cluster} is a DR secondary of ${subject.primary} again, as ${sid}, left behind by operation ${subject.left_by}`,
  }
}
