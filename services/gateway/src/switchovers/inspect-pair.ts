import { withDeadline } from '@vault-dr/core'
import { clusterAgent } from '../agents/cluster-agent-client.ts'
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

/**
 * Reads `to`, its primary and every other registered cluster now, and checks a switchover from one to the other
 * would be safe. Changes nothing. `from` defaults to the registered cluster `to` streams from (its replication set's
 * running primary), whatever role the registry last recorded.
 */
export async function inspectPair(
  deps: Pick<SwitchoverDeps, 'store' | 'clusters' | 'agents' | 'custody' | 'settings'>,
  ask: { to: string; from?: string | undefined },
  neededS: number,
  signal?: AbortSignal,
): Promise<PairInspection> {
  const { store, clusters, agents, settings } = deps
  if (ask.from === ask.to) {
    throw SwitchoverErrors.sameCluster(`body/from and body/to both name ${ask.to}`)
  }
  const registered = await store.listClusters()
  const byName = new Map(registered.map((c) => [c.name, c]))
  const named = (name: string, field: string) => {
    const c = byName.get(name)
    if (c === undefined) throw GatewayErrors.unknownCluster(`No cluster named ${name} is registered (${field})`)
    clusters.targetOf(c) // an agent token this gateway cannot open fails now, not mid-way
    return c
  }
  const to = named(ask.to, 'body/to')
  if (ask.from !== undefined) named(ask.from, 'body/from')

  const read = async (c: StoredCluster): Promise<Side> => {
    try {
      const status = await withDeadline(settings.statusTimeoutMs, signal, ({ signal: s }) =>
        raceAbort(clusterAgent(agents, clusters.targetOf(c)).status(s), s),
      )
      return { name: c.name, status }
    } catch (err) {
      const e = err as { code?: string; message?: string }
      return { name: c.name, error: `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}` }
    }
  }
  const [statuses, pairs] = await Promise.all([Promise.all(registered.map(read)), store.pairedSecondaries()])
  const sides = new Map(statuses.map((s) => [s.name, s]))
  const toSide = sides.get(to.name) as Side
  const setId = toSide.status === undefined ? null : clusterIdOf(toSide.status)
  const fromName = ask.from ?? defaultFrom(sides, to.name, setId, pairs)
  if (fromName === undefined) {
    const seen = [...sides.values()]
      .filter((side) => side.name !== to.name)
      .map((side) => `${side.name}: ${side.status?.replication?.mode ?? side.error ?? 'no DR status'}`)
    throw SwitchoverErrors.notAPair(
      `No registered cluster is the running DR primary of ${to.name} (replication set ${setId ?? 'unknown'}; ${seen.join(', ') || 'no other cluster registered'}): name it in body/from`,
    )
  }
  const fromSide = sides.get(fromName) as Side
  const paired = pairs.filter((p) => p.primary === fromName)
  const toSecondaryId =
    toSide.status?.replication?.secondary_id || paired.find((p) => p.secondary === to.name)?.secondary_id || to.name
  const others: Side[] = []
  const followers: Leg['followers'] = [{ cluster: fromName, secondary_id: fromName }]
  for (const side of sides.values()) {
    if (side.name === fromName || side.name === to.name) continue
    const r = side.status?.replication
    const sameSet = r?.mode === 'secondary' && setId !== null && r.cluster_id === setId
    const pairedHere = paired.find((p) => p.secondary === side.name)
    if (sameSet || (side.status === undefined && pairedHere !== undefined)) {
      others.push(side)
      followers.push({ cluster: side.name, secondary_id: r?.secondary_id || pairedHere?.secondary_id || side.name })
    }
  }
  const kept = await deps.custody.get(fromName)
  const checks = switchoverChecks({
    from: fromSide,
    to: toSide,
    toSecondaryId,
    others,
    token: kept === undefined ? null : deps.custody.info(kept),
    neededS,
    maxLagWals: settings.maxLagWals,
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

/** The registered running DR primary of `to`'s replication set: the pairs' primary first, else any. */
function defaultFrom(
  sides: Map<string, Side>,
  to: string,
  setId: string | null,
  paired: Array<{ primary: string; secondary: string }>,
): string | undefined {
  if (setId === null) return undefined
  const isPrimaryOfSet = (name: string) => {
    const r = sides.get(name)?.status?.replication
    return r?.mode === 'primary' && r.cluster_id === setId
  }
  const fromPairs = paired.find((p) => p.secondary === to)?.primary
  if (fromPairs !== undefined && isPrimaryOfSet(fromPairs)) return fromPairs
  return [...sides.keys()].find((name) => name !== to && isPrimaryOfSet(name))
}
