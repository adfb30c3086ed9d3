import { invalidFields, withDeadline } from '@vault-dr/core'
import type { AgentStatus, ClusterStatus } from '../agents/agent-types.ts'
import { type AgentTarget, clusterAgent } from '../agents/cluster-agent-client.ts'
import { type FenceMeta, readFenceEntry, UNREADABLE_FENCE, unreadableFence } from '../failovers/fence-record.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { clusterIdOf } from '../role-changes/cluster-roles.ts'
import type { Leg } from '../role-changes/leg.ts'
import type { StoredCluster } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import { type Side, type SwitchoverCheck, switchoverChecks } from './switchover-checks.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { SwitchoverErrors } from './switchover-errors.ts'

export interface PairInspection {
  from: string
  to: string
  toSecondaryId: string
  replicationClusterId: string | null
  /** `from` first (with its name as id), then the other DR secondaries of the replication set. */
  followers: Leg['followers']
  checks: SwitchoverCheck[]
  ok: boolean
}

/** Why the cluster is fenced, when it is: a failover's fence the store keeps, or the one its agent reports. */
async function fenceOf(store: FenceMeta, side: Side): Promise<string | undefined> {
  const recorded = await readFenceEntry(store, side.name)
  if (recorded === UNREADABLE_FENCE) return `${unreadableFence(side.name)}: it may be fenced`
  if (recorded !== undefined) return `failed away from by failover ${recorded.failover_id}, not rejoined yet`
  const held = (side.status as Partial<Pick<AgentStatus, 'fenced'>> | undefined)?.fenced
  return held == null ? undefined : `its agent holds a fence: ${held.reason}`
}

/** How a cluster's status is read instead of through a client of its own (undefined: through one of its own). */
export type StatusReader = (cluster: string, signal: AbortSignal) => Promise<ClusterStatus> | undefined

/**
 * Reads `to`, its primary and that primary's other secondaries now, and checks a switchover from one to the other
 * would be safe. Changes nothing. `from` defaults to the running DR primary of `to`'s replication set: the cluster it
 * is paired with, else any registered primary.
 */
export async function inspectPair(
  deps: Pick<SwitchoverDeps, 'store' | 'clusters' | 'agents' | 'custody' | 'settings'>,
  ask: { to: string; from?: string | undefined; roundTrip?: boolean | undefined },
  neededS: number,
  signal?: AbortSignal,
  readStatus?: StatusReader,
): Promise<PairInspection> {
  const { store, clusters, agents, settings } = deps
  if (ask.from === ask.to) {
    throw SwitchoverErrors.sameCluster(`body/from and body/to both name ${ask.to}`)
  }
  const registered = await store.listClusters()
  const byName = new Map(registered.map((c) => [c.name, c]))
  /** Each cluster's agent, its token opened once. */
  const targets = new Map<string, AgentTarget>()
  const targetOf = (c: StoredCluster) => {
    const target = targets.get(c.name) ?? clusters.targetOf(c)
    targets.set(c.name, target)
    return target
  }
  const named = (name: string, field: string) => {
    const c = byName.get(name)
    if (c === undefined) throw GatewayErrors.unknownCluster(`No cluster named ${name} is registered (${field})`)
    targetOf(c) // an agent token this gateway cannot open fails now, not mid-way
    return c
  }
  const to = named(ask.to, 'body/to')
  if (ask.from !== undefined) named(ask.from, 'body/from')

  const sides = new Map<string, Side>()
  /** Each cluster's status, read once, concurrently; a cluster whose agent does not answer has its error. */
  const readAll = (names: string[]) =>
    Promise.all(
      names
        .filter((n) => !sides.has(n) && byName.has(n))
        .map(async (name) => {
          const c = byName.get(name) as StoredCluster
          try {
            const status = await withDeadline(settings.statusTimeoutMs, signal, ({ signal: s }) =>
              raceAbort(readStatus?.(name, s) ?? clusterAgent(agents, targetOf(c)).status(s), s),
            )
            sides.set(name, { name, status })
          } catch (err) {
            const e = err as { code?: string; message?: string }
            sides.set(name, { name, error: `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}` })
          }
        }),
    )
  const pairs = await store.pairedSecondaries()
  const pairedPrimary = pairs.find((p) => p.secondary === to.name)?.primary
  // Only the clusters that can matter are read (a fleet may register thousands): `to`, its primary (asked, or the
  // one it is paired with), and that primary's paired secondaries; every registered primary only when none is found.
  await readAll([to.name, ask.from ?? pairedPrimary ?? to.name])
  const toSide = sides.get(to.name) as Side
  const setId = toSide.status === undefined ? null : clusterIdOf(toSide.status)
  const isPrimaryOfSet = (name: string) => {
    const r = sides.get(name)?.status?.replication
    return setId !== null && r?.mode === 'primary' && r.cluster_id === setId
  }
  let fromName = ask.from ?? (pairedPrimary !== undefined && isPrimaryOfSet(pairedPrimary) ? pairedPrimary : undefined)
  if (fromName === undefined && setId !== null) {
    await readAll(registered.filter((c) => c.role === 'primary').map((c) => c.name))
    fromName = [...sides.keys()].find((name) => name !== to.name && isPrimaryOfSet(name))
  }
  // The primary it is paired with gives no DR status (sealed, its Vault or agent away): planned from it all the same,
  // so that the checks say what is wrong with it, rather than that no primary was named.
  // Only a cluster registered as primary that no failover fenced: a stale pairing is not planned from.
  if (fromName === undefined && pairedPrimary !== undefined && toSide.status?.replication?.mode === 'secondary') {
    const side = sides.get(pairedPrimary)
    const unreadable = side !== undefined && (side.status === undefined || clusterIdOf(side.status) === null)
    const registeredPrimary = byName.get(pairedPrimary)?.role === 'primary'
    if (unreadable && registeredPrimary && (await readFenceEntry(store, pairedPrimary)) === undefined) {
      fromName = pairedPrimary
    }
  }
  if (fromName === undefined && toSide.status?.replication?.mode === 'primary') {
    // The primary itself was named: a switchover goes to one of its DR secondaries.
    throw SwitchoverErrors.notAPair(
      `${to.name} is a DR primary, not a DR secondary: name one of its secondaries in body/to`,
      {
        cause: invalidFields({ path: 'body/to', message: 'names a DR primary: name one of its DR secondaries' }),
      },
    )
  }
  if (fromName === undefined) {
    const seen = [...sides.values()]
      .filter((side) => side.name !== to.name)
      .map((side) => `${side.name}: ${side.status?.replication?.mode ?? side.error ?? 'no DR status'}`)
    throw SwitchoverErrors.notAPair(
      `No registered cluster is the running DR primary of ${to.name} (replication set ${setId ?? 'unknown'}; ${seen.join(', ') || 'no registered primary'}): name it in body/from`,
    )
  }
  const fromSide = sides.get(fromName) as Side
  const paired = pairs.filter((p) => p.primary === fromName && p.secondary !== to.name && byName.has(p.secondary))
  await readAll(paired.map((p) => p.secondary))
  const toSecondaryId =
    toSide.status?.replication?.secondary_id || pairs.find((p) => p.secondary === to.name)?.secondary_id || to.name
  const others: Side[] = []
  const followers: Leg['followers'] = [{ cluster: fromName, secondary_id: fromName }]
  for (const pair of paired) {
    const side = sides.get(pair.secondary) as Side
    const r = side.status?.replication
    // A paired secondary that answers from another replication set (re-joined elsewhere since) is not a follower.
    if (side.status !== undefined && !(r?.mode === 'secondary' && r.cluster_id === setId)) continue
    others.push(side)
    followers.push({ cluster: side.name, secondary_id: r?.secondary_id || pair.secondary_id })
  }
  // Secondaries the primary knows that no registered cluster is paired as: they would be left following a demoted
  // primary (they can be re-pointed by hand afterwards).
  const accounted = new Set([toSecondaryId, ...followers.map((f) => f.secondary_id)])
  const unknown = fromSide.status?.replication?.known_secondaries.filter((id) => !accounted.has(id)) ?? []
  const kept = await deps.custody.get(fromName)
  const checks = switchoverChecks({
    toFenced: await fenceOf(store, toSide),
    fromFenced: await fenceOf(store, fromSide),
    from: fromSide,
    to: toSide,
    toSecondaryId,
    others,
    token: kept === undefined ? null : deps.custody.info(kept),
    unknownSecondaries: unknown,
    neededS,
    maxLagWals: settings.maxLagWals,
    roundTrip: ask.roundTrip,
  })
  return {
    from: fromName,
    to: to.name,
    toSecondaryId,
    replicationClusterId: setId,
    followers,
    checks,
    ok: checks.every((c) => c.status !== 'fail'),
  }
}
