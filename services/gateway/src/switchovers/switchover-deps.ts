import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { HookSettings } from '../hooks/hook-settings.ts'
import type { OperationsService } from '../operations/operations.service.ts'
import type { Store } from '../store/store.ts'

export interface SwitchoverSettings {
  /** How long a cluster may take to serve in its new role (writes accepted, a pair streaming). */
  settleTimeoutMs: number
  /** VAULT_DR_AGENT_RETURN_MS: how long a role step may wait for an agent that gave no answer. */
  agentReturnMs: number
  pollMs: number
  /** TTL of the activation tokens minted for followers (used at once, in memory only). */
  activationTtl: string
  /** Deadline of each status read while planning. */
  statusTimeoutMs: number
  /** How many WALs behind the secondary may be before the demote without a warning. */
  maxLagWals: number
}

/** What the switchover and drill kinds, services and routes are built from. */
export interface SwitchoverDeps {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  custody: TokenCustody
  operations: OperationsService
  hooks: HookSettings
  settings: SwitchoverSettings
  now: () => number
}
