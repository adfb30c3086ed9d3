import type { FastifyBaseLogger } from 'fastify'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { HandshakeSettings } from '../config.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import { hasGenericJournal } from '../operations/operation-record.ts'
import type { OperationsService } from '../operations/operations.service.ts'
import type { SecretBox } from '../store/secret-box.ts'
import type { Store } from '../store/store.ts'
import { createAutoFailoverWatcher } from './auto-failover.ts'
import { failoverDepsOf } from './failover-deps.ts'
import type { FailoverPlanner } from './failover-planner.ts'
import { createFailoversService } from './failovers.service.ts'

export interface AutoFailoverWiring {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  operations: OperationsService
  settings: HandshakeSettings
  custody: TokenCustody
  planner: FailoverPlanner
  box: SecretBox
  now: () => number
  log: FastifyBaseLogger
  blockMs: number
  intervalMs: number
}

/** The automatic failover watcher over the same failovers service as POST /v1/failovers; none without a journal. */
export function autoFailoverWatcher(w: AutoFailoverWiring) {
  if (!hasGenericJournal(w.store)) return undefined
  const failovers = createFailoversService(failoverDepsOf(w, w))
  return createAutoFailoverWatcher({
    store: w.store,
    planner: w.planner,
    createFailover: failovers.createFailover,
    blockMs: w.blockMs,
    intervalMs: w.intervalMs,
    now: w.now,
    log: w.log,
  })
}
