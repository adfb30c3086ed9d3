import type { PairsSettings } from '../config.ts'

/** The defaults of VAULT_DR_OPERATION_TOKEN_TTL (the agent's), _MIN_REMAINING (2h) VAULT_DR_PAIRS_UPKEEP_MS, VAULT_DR_FENCE_CHECK_MS, VAULT_DR_AUTO_FAILOVER_BLOCK (1h) and VAULT_DR_PRIMARY_CONTACT_MS. */
export const DEFAULT_PAIRS_SETTINGS: PairsSettings = {
  drTokenTtl: undefined,
  drTokenMinRemainingS: 7_200,
  upkeepMs: 60_000,
  fenceCheckMs: 5_000,
  autoFailoverBlockMs: 3_600_000,
  primaryContactMs: 3_000,
}

export const DEFAULT_AUTO_FAILOVER_BLOCK_MS = 3_600_000
