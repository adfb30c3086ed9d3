import type { ClusterStatus, VaultAgent } from '@vault-dr/core'

export interface StatusService {
  status(maxAgeMs?: number): Promise<ClusterStatus>
  statusJson(maxAgeMs?: number): Promise<string>
  cachedStatusJson(maxAgeMs?: number): string | undefined
}

/** The local cluster's status; the agent shares one Vault read among concurrent callers. */
export function createStatusService(agent: VaultAgent): StatusService {
  return {
    status: (maxAgeMs) => agent.status(maxAgeMs),
    statusJson: (maxAgeMs) => agent.statusJson(maxAgeMs),
    cachedStatusJson: (maxAgeMs) => agent.cachedStatusJson(maxAgeMs),
  }
}
