import type { Registry } from 'prom-client'
import type { VaultSettings } from '../config/service-config.ts'
import { singleFlight } from '../util/single-flight.ts'
import { VaultClient } from '../vault/vault-client.ts'
import { type AgentMetrics, createAgentMetrics } from './agent-metrics.ts'
import { type ClusterStatus, readClusterStatus } from './cluster-status.ts'

export interface VaultAgent {
  vault: VaultClient
  metrics: AgentMetrics
  /** The cluster's status; concurrent callers share one Vault round trip, reused for `statusMaxAgeMs`. */
  status(): Promise<ClusterStatus>
  /** Forget the cached status after a change, so the next read sees it. */
  invalidateStatus(): void
}

/** What both agents need: a Vault client whose calls are measured, and a shared, bounded status reader. */
export function createVaultAgent(registry: Registry, vaultSettings: VaultSettings, statusMaxAgeMs: number): VaultAgent {
  const metrics = createAgentMetrics(registry)
  const vault = new VaultClient({ ...vaultSettings, onCall: metrics.recordVaultCall })
  const status = singleFlight(async () => {
    const result = await readClusterStatus(vault)
    if (result.replication !== null) metrics.recordStatus(result.replication)
    return result
  }, statusMaxAgeMs)
  return { vault, metrics, status: status.get, invalidateStatus: status.invalidate }
}
