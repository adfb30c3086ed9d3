import type { ClusterStatus } from '../agents/agent-types.ts'
import { RECENT_STATUS_MS } from '../role-changes/recent-statuses.ts'

/** A cluster's status read while a switchover or drill was planned, and when the read began (performance.now()). */
export interface PlanRead {
  cluster: string
  status: ClusterStatus
  at: number
}

export type PlanReads = ReturnType<typeof planReads>

/**
 * The statuses read to plan an operation at its creation, handed to its first run in this process (it starts right
 * after): the preflight and the demote decide on them while they are RECENT_STATUS_MS old, as each step does on what
 * the step before it read. Taken once; a run resumed later, or by another gateway, finds none and reads anew.
 */
export function planReads(now: () => number = () => performance.now()) {
  const byOperation = new Map<string, PlanRead[]>()
  const fresh = (read: PlanRead) => now() - read.at <= RECENT_STATUS_MS
  return {
    put(operationId: string, reads: PlanRead[]): void {
      // Those of operations that did not start here (another gateway took them) go once they are too old to use.
      for (const [id, kept] of byOperation) if (!kept.some(fresh)) byOperation.delete(id)
      byOperation.set(operationId, reads)
    },
    take(operationId: string): PlanRead[] {
      const reads = byOperation.get(operationId) ?? []
      byOperation.delete(operationId)
      return reads.filter(fresh)
    },
  }
}
