import { type ClusterContext, isSealed, primaryState } from './context.ts'
import { drStatus } from './dr/dr-status.ts'
import { isSecondaryMode } from './state.ts'

/** A read-only snapshot for tests. */
export interface ClusterSnapshot {
  name: string
  sealed: boolean
  enterprise: boolean
  drMode: string
  drState: string | undefined
  connectionState: string | undefined
  replicationClusterId: string | undefined
  localClusterId: string
  lastWal: number
  merkleRoot: string
  knownSecondaries: string[]
  connectedSecondaries: string[]
  secondaryId: string | undefined
  policies: string[]
  apiListening: boolean
  clusterListening: boolean
  /** Set while the site is cut off by faults.isolate(). */
  isolation: 'refuse' | 'drop' | undefined
  /** The full `data` of sys/replication/dr/status. */
  drStatus: Record<string, unknown>
}

export function snapshot(ctx: ClusterContext, apiListening: boolean): ClusterSnapshot {
  const { dr } = ctx
  const primary = primaryState(ctx)
  const secondary = isSecondaryMode(dr) ? dr : undefined
  return {
    name: ctx.options.name,
    sealed: isSealed(ctx),
    enterprise: ctx.runtime.enterprise,
    drMode: dr.mode,
    drState: primary ? 'running' : secondary?.state,
    connectionState: secondary?.connectionState,
    replicationClusterId: dr.mode === 'disabled' ? undefined : dr.clusterId,
    localClusterId: ctx.localClusterId,
    lastWal: ctx.storage.lastWal,
    merkleRoot: ctx.storage.merkleRoot(),
    knownSecondaries: primary ? [...primary.secondaries.keys()] : [],
    connectedSecondaries: primary
      ? [...primary.secondaries.values()].filter((s) => s.connection?.connected).map((s) => s.id)
      : [],
    secondaryId: secondary?.secondaryId,
    policies: ctx.tokens.policyNames(),
    apiListening,
    clusterListening: ctx.clusterListener.listening,
    isolation: ctx.runtime.isolation,
    drStatus: drStatus(ctx),
  }
}
