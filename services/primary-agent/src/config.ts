import {
  type AgentSettings,
  agentEnvShape,
  agentSettings,
  loadEnv,
  SERVICE_SECRET_VARS,
  type ServiceSettings,
  serviceEnvShape,
  serviceSettings,
  VAULT_SECRET_VARS,
  type VaultSettings,
  vaultEnvShape,
  vaultSettings,
} from '@vault-dr/core'
import { z } from 'zod'

export const DEFAULT_PORT = 8410

const PrimaryAgentEnv = z.object({
  ...serviceEnvShape(DEFAULT_PORT),
  ...vaultEnvShape,
  ...agentEnvShape,
  /** The cluster listener to self-check, when sys/leader's leader_cluster_address is not reachable from here. */
  VAULT_DR_CLUSTER_ADDR: z
    .url({ protocol: /^https?$/, error: 'must be a URL such as https://127.0.0.1:8201' })
    .optional(),
})

export interface PrimaryAgentConfig extends ServiceSettings {
  vault: VaultSettings
  agent: AgentSettings
  clusterAddr: string | undefined
}

/** The only place the primary agent reads its environment. */
export function loadPrimaryAgentConfig(env: NodeJS.ProcessEnv): PrimaryAgentConfig {
  const parsed = loadEnv(PrimaryAgentEnv, env, [...SERVICE_SECRET_VARS, ...VAULT_SECRET_VARS])
  return {
    ...serviceSettings(parsed),
    vault: vaultSettings(parsed),
    agent: agentSettings(parsed),
    clusterAddr: parsed.VAULT_DR_CLUSTER_ADDR,
  }
}
