import { type AgentClients, type AgentTarget, clusterAgent } from '../agents/agent-clients.ts'
import { type FenceMeta, readFences } from '../failovers/fence-record.ts'

/**
 * Confirms each primary's role to its agent, so its load balancers' check (getServing) serves it again when nothing
 * else can say it is still the primary (its agent restarted while no DR secondary was connected): only primaries
 * the store does not hold fenced, with the store's epoch and when the fences were read. A fenced or stale answer, or
 * an agent away, changes nothing: the names of those not confirmed are answered.
 */
export async function confirmPrimaries(
  deps: {
    store: FenceMeta & { currentEpoch(): Promise<number> }
    agents: AgentClients
    now: () => number
    signal: AbortSignal
  },
  primaries: AgentTarget[],
): Promise<string[]> {
  if (primaries.length === 0) return []
  const [fences, epoch] = await Promise.all([readFences(deps.store), deps.store.currentEpoch()])
  const checkedAt = new Date(deps.now()).toISOString()
  const unconfirmed = await Promise.all(
    primaries
      .filter((p) => !fences.has(p.cluster))
      .map(async (p) => {
        try {
          await clusterAgent(deps.agents, p).confirmServing(checkedAt, { epoch, signal: deps.signal })
          return undefined
        } catch {
          return p.cluster
        }
      }),
  )
  return unconfirmed.filter((name): name is string => name !== undefined)
}
