import { type ClusterAgentClient, clusterAgent } from '../agents/cluster-agent-client.ts'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import { epochFloorClient } from '../failovers/epoch-floor-client.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import type { Leg } from '../role-changes/leg.ts'
import { recentStatuses } from '../role-changes/recent-statuses.ts'
import { iso, type LegKey, type RoleChangeClient, type RoleChangeContext } from '../role-changes/role-change-context.ts'
import type { StoredCluster } from '../store/store.ts'
import { durationMs } from './durations.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { SwitchoverErrors } from './switchover-errors.ts'
import type { RoleChangeData } from './switchovers.schemas.ts'

/** A DR operation token is used only with this much validity left (it may take a call's deadline to arrive). */
const TOKEN_MARGIN_MS = 30_000

/** The data of a switchover or drill as a run keeps it: RoleChangeData plus whatever else the kind writes. */
export type RunData = RoleChangeData & Record<string, unknown>

export interface RoleChangeRun {
  roles: RoleChangeContext
  data(): RunData
  saveData(patch: Partial<RunData>, event?: { type: 'checks' | 'note'; data: Record<string, unknown> }): Promise<void>
  run: OperationRun<OperationRecord>
}

/**
 * The context of a switchover's or a drill's run: agents of every cluster it holds (resolved once), its legs in
 * record.data written before each act, the store's fencing epoch and roles, and DR operation tokens from the
 * gateway's custody, opened only for the one call that sends them.
 */
export async function roleChangeRun(
  deps: SwitchoverDeps,
  run: OperationRun<OperationRecord>,
  /** Fields derived from the legs after each write (e.g. the switchover's write_unavailable_ms). */
  summarize: (data: RunData) => Partial<RunData>,
): Promise<RoleChangeRun> {
  const record = run.record()
  const subject = record.subject as { catch_up_timeout?: string }
  const stored = new Map<string, StoredCluster>()
  const recent = recentStatuses()
  const clients = new Map<string, RoleChangeClient>()
  for (const name of record.clusters) {
    const c = await deps.store.getCluster(name)
    // The store refuses to delete a cluster an unfinished operation holds: this is a store edited by hand.
    if (c === undefined)
      throw GatewayErrors.clusterNotFound(`${name}, held by operation ${record.id}, is not registered`)
    stored.set(name, c)
    const agent: ClusterAgentClient = clusterAgent(deps.agents, deps.clusters.targetOf(c))
    clients.set(name, recent.track(name, epochFloorClient(agent, deps.store, run.log)))
  }
  let data = record.data as RunData

  async function saveData(patch: Partial<RunData>, event?: { type: 'checks' | 'note'; data: Record<string, unknown> }) {
    const next = { ...data, ...patch }
    data = { ...next, ...summarize(next) }
    await run.save({ data }, event)
  }

  const legOf = (key: LegKey): Leg | undefined => (key === 'undo' ? data.undo : data.legs[key])

  const roles: RoleChangeContext = {
    operationId: record.id,
    hasLeg: (key) => legOf(key) !== undefined,
    leg(key) {
      const leg = legOf(key)
      if (leg === undefined) throw new Error(`operation ${record.id} has no leg ${key}`)
      return leg
    },
    async saveLeg(key, patch) {
      if (key === 'undo') return saveData({ undo: { ...(data.undo as Leg), ...patch } })
      return saveData({ legs: data.legs.map((l, i) => (i === key ? { ...l, ...patch } : l)) })
    },
    // Said once: a step run again after a crash (or a gateway's return) finds the same and says it again.
    warn: async (text) => {
      if (data.warnings.includes(text)) return
      await saveData({ warnings: [...data.warnings, text] }, { type: 'note', data: { warning: text } })
    },
    client(cluster) {
      const client = clients.get(cluster)
      if (client === undefined) throw new Error(`operation ${record.id} does not hold ${cluster}`)
      return client
    },
    async recentStatus(cluster, signal) {
      return recent.get(cluster) ?? roles.client(cluster).status(signal)
    },
    async bumpEpoch(before) {
      const epoch = await deps.store.bumpEpoch()
      // Taking an epoch is not fenced by the lease; this write, made after it, is: a gateway that lost the
      // operation's lease (frozen, then woken after another took over) stops here, before any agent sees the epoch it
      // took, and one whose write went through took its epoch before any gateway that takes the operation over. It
      // carries what the change must find on record, if anything (one write, not two), and only once the epoch is
      // taken: a failed bump leaves nothing on record of a change never sent.
      if (before === undefined) await run.save({})
      else await roles.saveLeg(before.leg, before.patch)
      return epoch
    },
    // Under the operation's lease: a gateway paused past it never writes a role or pairing of a later change.
    setRole: (cluster: string, role: ClusterRole) =>
      deps.store.setClusterRole(cluster, role, iso(deps.now()), run.lease),
    recordPairing: (pair) => deps.store.recordPairing(pair, iso(deps.now()), run.lease),
    async drToken() {
      // Any kept token of the replication set serves (its clusters share the keyring): the one valid longest.
      const kept = await Promise.all(record.clusters.map((name) => deps.custody.get(name)))
      const set = data.legs[0]?.replication_cluster_id ?? null
      const usable = kept
        .filter((t) => t !== undefined && Date.parse(t.expires_at) > deps.now() + TOKEN_MARGIN_MS)
        .filter((t) => t?.primary_cluster_id == null || set === null || t.primary_cluster_id === set)
        .sort((a, b) => Date.parse(b?.expires_at ?? '') - Date.parse(a?.expires_at ?? ''))
      for (const t of usable) {
        const clear = t === undefined ? undefined : deps.custody.open(t)
        if (clear !== undefined) return clear
      }
      throw SwitchoverErrors.noDrOperationToken(
        `No DR operation token the gateway keeps for ${record.clusters.join(', ')} is valid and opens with this store key`,
      )
    },
    async renewDrToken(primary, after, signal) {
      const kept = await deps.custody.get(primary)
      const fresh = kept !== undefined && kept.issued_at >= after && Date.parse(kept.expires_at) > deps.now()
      if (fresh) return { rotated: false, expires_at: kept.expires_at }
      const cluster = stored.get(primary) as StoredCluster
      const { token } = await deps.custody.ensure(cluster, null, { force: true, signal, heldByOperation: true })
      return { rotated: true, expires_at: token.expires_at }
    },
    signal: () => run.signal(),
    now: () => deps.now(),
    settings: {
      catchUpTimeoutMs: durationMs(subject.catch_up_timeout ?? '60s'),
      settleTimeoutMs: deps.settings.settleTimeoutMs,
      pollMs: deps.settings.pollMs,
      activationTtl: deps.settings.activationTtl,
    },
    log: run.log,
  }
  return { roles, data: () => data, saveData, run }
}
