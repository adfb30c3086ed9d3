import type { FailoverDeps } from './failover-deps.ts'
import { readFence } from './fence-record.ts'

/**
 * The primary the replication set of `cluster` (an old primary a failover fenced, promoting `promoted`) has now, as
 * the store records it: `promoted` while it holds the role; once a switchover moved the role on, the registered
 * primary it is paired with; once a later failover fenced it too, the one that failover promoted; and so on. A chain
 * that leads back to `cluster` (a pairing from before its failover: a promote whose answer was lost never recorded
 * the new roles) says nothing newer: `promoted`. The rejoin's preflight then checks, live, that the primary runs as
 * DR primary of the failover's replication set.
 */
export async function primaryNow(
  deps: Pick<FailoverDeps, 'store'>,
  cluster: string,
  promoted: string,
): Promise<string> {
  const paired = await deps.store.pairedSecondaries()
  const seen = new Set<string>()
  let current = promoted
  for (;;) {
    if (current === cluster || seen.has(current)) return promoted
    seen.add(current)
    const fence = await readFence(deps.store, current)
    if (fence !== undefined) {
      current = fence.new_primary
      continue
    }
    const registered = await deps.store.getCluster(current)
    const next = paired.find((p) => p.secondary === current)?.primary
    if (registered?.role !== 'secondary' || next === undefined) return current
    current = next
  }
}
