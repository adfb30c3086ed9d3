import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { HookSettings } from '../hooks/hook-settings.ts'
import type { Store } from '../store/store.ts'
import type { OperationRecord, OperationsService, RoleChangeStore } from './pending-contracts.ts'

export interface SwitchoverSettings {
  /** How long a cluster may take to serve in its new role (writes accepted, a pair streaming). */
  settleTimeoutMs: number
  pollMs: number
  /** TTL of the activation tokens minted for followers (used at once, in memory only). */
  activationTtl: string
  /** Deadline of each status read while planning. */
  statusTimeoutMs: number
  /** How many WALs behind the secondary may be before the demote without a warning. */
  maxLagWals: number
}

export const DEFAULT_SWITCHOVER_SETTINGS: SwitchoverSettings = {
  settleTimeoutMs: 60_000,
  pollMs: 100,
  activationTtl: '10m',
  statusTimeoutMs: 5_000,
  maxLagWals: 1_000,
}

/** What the switchover and drill kinds, services and routes are built from. */
export interface SwitchoverDeps {
  store: Store & RoleChangeStore & { operationByIdempotencyKey(key: string): Promise<OperationRecord | undefined> }
  clusters: ClustersService
  agents: AgentClients
  custody: TokenCustody
  operations: OperationsService
  hooks: HookSettings
  settings: SwitchoverSettings
  now: () => number
}
