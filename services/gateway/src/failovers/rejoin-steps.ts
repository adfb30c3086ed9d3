import { clusterAgent } from '../agents/cluster-agent-client.ts'
import type { StepResult } from '../operations/step.ts'
import { clusterIdOf, drMode, isRunningPrimary } from '../role-changes/cluster-roles.ts'
import type { Leg } from '../role-changes/leg.ts'
import { iso } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import { underEpochFloor } from './epoch-floor.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import type { RejoinSubject } from './failovers-subject.ts'
import { clearFence, readFence, readFenceEntry, UNREADABLE_FENCE, unreadableFence } from './fence-record.ts'
import { untilRejoinable } from './rejoin-pair-read.ts'
import { ensureRejoinToken } from './rejoin-token.ts'

/** The leg of the failover this rejoin follows, as that operation recorded it (none for a rejoin of no failover). */
async function failoverLeg(deps: FailoverDeps, subject: RejoinSubject): Promise<Partial<Leg> | undefined> {
  if (subject.failover_id === null) return undefined
  const failover = await deps.store.getOperation(subject.failover_id)
  return (failover?.data as { legs?: Array<Partial<Leg>> } | undefined)?.legs?.[0]
}

/**
 * Before a rejoin: the old primary is still fenced by that failover, answers again and has been demoted (the fence
 * keeper does it as soon as its agent answers; this waits for it), and the new primary runs.
 */
export async function rejoinPreflight(
  deps: FailoverDeps,
  r: RoleChangeRun,
  subject: RejoinSubject,
): Promise<StepResult> {
  const fence = await readFence(deps.store, subject.cluster)
  if (fence === undefined || fence.failover_id !== subject.failover_id) {
    throw FailoverErrors.notFenced(`${subject.cluster} is no longer fenced by failover ${subject.failover_id}`)
  }
  const ready = await untilRejoinable(deps, r, subject, (mine, theirs) => {
    if (!isRunningPrimary(theirs)) return { notYet: `${subject.primary} is not a running DR primary` }
    if (drMode(mine) === 'primary')
      return { notYet: `${subject.cluster} is still a DR primary: the fence keeper demotes it` }
    if (!mine.vault.reachable) return { notYet: `${subject.cluster}'s Vault does not answer its agent` }
    if (mine.fenced != null && mine.fenced.demoted_at === null)
      return { notYet: `${subject.cluster}'s agent has not recorded its demote yet` }
    return clusterIdOf(theirs)
  })
  // The primary is the one the store says the set has now (the failover's, or one a switchover moved the role to):
  // it must run in that failover's replication set before anything is issued or minted on it.
  const set = (await failoverLeg(deps, subject))?.replication_cluster_id
  if (typeof set === 'string' && set !== ready) {
    throw FailoverErrors.rejoinRoles(
      `${subject.primary} runs as DR primary of replication set ${ready}, not of ${set}, the set failover ${subject.failover_id} fenced ${subject.cluster} in`,
    )
  }
  const token = await ensureRejoinToken(deps, r, subject.primary, ready)
  await r.roles.saveLeg(0, { replication_cluster_id: ready })
  return {
    status: 'succeeded',
    detail: `${subject.cluster} is demoted and answers; ${subject.primary} runs as DR primary; ${token}`,
  }
}

/**
 * After the old primary streams from the new one: the WALs it wrote that the new primary never received (it lost
 * them in the rejoin), the fence lifted, the pair recorded and the registry's roles as Vault reports them.
 */
export async function endFence(deps: FailoverDeps, r: RoleChangeRun, subject: RejoinSubject): Promise<StepResult> {
  const leg = r.roles.leg(0)
  // Only the fence of the failover this rejoin follows is its to end (and its WAL reading to count).
  // Read as an entry: the cluster streams from its primary already, so one no one can read ends nothing but is said.
  const recorded = await readFenceEntry(deps.store, subject.cluster)
  const unreadable = recorded === UNREADABLE_FENCE
  const fence = !unreadable && recorded?.failover_id === subject.failover_id ? recorded : undefined
  const promotedAt = (await failoverLeg(deps, subject))?.secondary_last_remote_wal
  const stored = await deps.store.getCluster(subject.cluster)
  const agent = stored === undefined ? undefined : clusterAgent(deps.agents, deps.clusters.targetOf(stored))
  // The agent's own fence record has the WAL its demote read when that came after the gateway's last look.
  const agentSaw = await agent
    ?.status(r.run.signal(), { fresh: false })
    .then((s) => s.fenced?.last_wal ?? null)
    .catch(() => null)
  const lastWal = [fence?.last_wal, agentSaw].filter((n): n is number => typeof n === 'number')
  const lost =
    lastWal.length > 0 && promotedAt != null ? Math.max(0, Math.max(...lastWal) - promotedAt) : (leg.wals_lost ?? null)
  await r.roles.saveLeg(0, { wals_lost: lost, finished_at: iso(deps.now()) })
  const sid = leg.followers[0]?.secondary_id ?? subject.cluster
  await r.roles.recordPairing({ secondary: subject.cluster, primary: subject.primary, secondary_id: sid })
  await r.roles.setRole(subject.cluster, 'secondary')
  // The agent keeps its own fence record (and would demote the cluster again if a failback promoted it): lift it too.
  if (agent !== undefined) {
    const signal = r.run.signal()
    await underEpochFloor(
      deps.store,
      await r.roles.bumpEpoch(),
      (epoch) => agent.clearFence({ epoch, signal }),
      async () => (await agent.status(signal, { fresh: false })).epoch,
      { log: r.roles.log },
    )
  }
  if (fence !== undefined && subject.failover_id !== null) {
    await clearFence(deps.store, subject.cluster, subject.failover_id)
  }
  const wals = lost === null ? 'an unknown number of WALs' : `${lost} WAL(s)`
  return {
    status: 'succeeded',
    detail: unreadable
      ? `${subject.cluster} is a DR secondary of ${subject.primary} again; it had written ${wals} that ${subject.primary} never received, now gone. ${unreadableFence(subject.cluster)} and stays: gateways treat it as fenced until it is restored or a newer gateway ends it`
      : `${subject.cluster} is a DR secondary of ${subject.primary} again, no longer fenced; it had written ${wals} that ${subject.primary} never received, now gone`,
  }
}
