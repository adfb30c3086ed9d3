import {
  AGENT_SECRET_VARS,
  type AgentServiceSettings,
  agentServiceEnvShape,
  agentServiceSettings,
  loadEnv,
  TokenTtl,
} from '@vault-dr/core'
import { z } from 'zod'

export const DEFAULT_PORT = 8410
export const DEFAULT_DR_OPERATION_TOKEN_TTL = '8h'

const PrimaryAgentEnv = z.object({
  ...agentServiceEnvShape(DEFAULT_PORT),
  /** The cluster listener to self-check, when sys/leader's leader_cluster_address is not reachable from here. */
  VAULT_DR_CLUSTER_ADDR: z
    .url({ protocol: /^https?$/, error: 'must be a URL such as https://127.0.0.1:8201' })
    .optional(),
  /** TTL of the batch DR operation tokens this agent issues (createDrOperationToken); a request may ask another. */
  VAULT_DR_OPERATION_TOKEN_TTL: TokenTtl.default(DEFAULT_DR_OPERATION_TOKEN_TTL),
})

export interface PrimaryAgentConfig extends AgentServiceSettings {
  clusterAddr: string | undefined
  /** VAULT_DR_OPERATION_TOKEN_TTL; DEFAULT_DR_OPERATION_TOKEN_TTL when a caller builds the config without it. */
  drOperationTokenTtl?: string
}

/** The only place the primary agent reads its environment. */
export function loadPrimaryAgentConfig(env: NodeJS.ProcessEnv): PrimaryAgentConfig {
  const parsed = loadEnv(PrimaryAgentEnv, env, AGENT_SECRET_VARS)
  return {
    ...agentServiceSettings(parsed),
    clusterAddr: parsed.VAULT_DR_CLUSTER_ADDR,
    drOperationTokenTtl: parsed.VAULT_DR_OPERATION_TOKEN_TTL,
  }
}
