import type { ClusterStatus } from '../../agents/agent-types.ts'
import { pollWithBackoff } from '../../util/backoff.ts'
import type { StepContext } from '../step-context.ts'

export interface PairStatus {
  primary: ClusterStatus
  secondary: ClusterStatus
}

export async function pairStatus(ctx: StepContext): Promise<PairStatus> {
  const [primary, secondary] = await Promise.all([ctx.primary.status(ctx.signal), ctx.secondary.status(ctx.signal)])
  return { primary, secondary }
}

/** The secondary is a DR secondary of this primary, activated with this secondary id. */
export function activatedWith({ primary, secondary }: PairStatus, secondaryId: string): boolean {
  const p = primary.replication
  const s = secondary.replication
  if (p?.mode !== 'primary' || s?.mode !== 'secondary' || s.cluster_id === null || s.cluster_id !== p.cluster_id) {
    return false
  }
  if (s.secondary_id !== null) return s.secondary_id === secondaryId
  return p.secondaries.some((peer) => peer.node_id === secondaryId)
}

/**
 * The pair's status once the secondary is out of "bootstrapping" (an activation in flight, perhaps by a gateway
 * that stopped mid-step), so a decision to activate is never taken while one is still settling.
 */
export async function settledPairStatus(ctx: StepContext): Promise<PairStatus> {
  const settled = await pollWithBackoff(
    async () => {
      const pair = await pairStatus(ctx)
      return pair.secondary.replication?.mode === 'bootstrapping' ? undefined : pair
    },
    { timeoutMs: ctx.settings.verifyTimeoutMs, signal: ctx.signal, initialMs: 200 },
  )
  return settled ?? pairStatus(ctx)
}

/** What is still missing for healthy replication of `secondaryId`; empty when it streams. */
export function verifyGaps({ primary, secondary }: PairStatus, secondaryId: string): string[] {
  const p = primary.replication
  const s = secondary.replication
  if (p === null || s === null) return ['DR status unavailable']
  const gaps: string[] = []
  if (s.mode !== 'secondary') gaps.push(`secondary mode is ${s.mode}, not secondary`)
  if (s.state !== 'stream-wals') gaps.push(`secondary state is ${s.state ?? 'unknown'}, not stream-wals`)
  if (s.connection_state !== 'ready')
    gaps.push(`secondary connection_state is ${s.connection_state ?? 'unknown'}, not ready`)
  if (s.cluster_id === null || s.cluster_id !== p.cluster_id) {
    gaps.push(
      `secondary replication cluster_id ${s.cluster_id ?? 'none'} differs from the primary's ${p.cluster_id ?? 'none'}`,
    )
  }
  const peer = p.secondaries.find((x) => x.node_id === secondaryId)
  if (peer === undefined) gaps.push(`the primary does not list secondary ${secondaryId}`)
  else if (peer.connection_status !== 'connected') {
    gaps.push(`the primary lists ${secondaryId} as ${peer.connection_status ?? 'unknown'}, not connected`)
  }
  return gaps
}
