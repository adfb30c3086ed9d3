import {
  AGENT_SECRET_VARS,
  agentServiceEnvShape,
  agentServiceSettings,
  type ClusterAgentConfig,
  clusterAgentEnvShape,
  clusterAgentSettings,
  loadEnv,
} from '@vault-dr/core'
import { z } from 'zod'

export { DEFAULT_DR_OPERATION_TOKEN_TTL } from '@vault-dr/core'
export const DEFAULT_PORT = 8410

const PrimaryAgentEnv = z.object({ ...agentServiceEnvShape(DEFAULT_PORT), ...clusterAgentEnvShape })

export type PrimaryAgentConfig = ClusterAgentConfig

/** The only place the primary agent reads its environment. */
export function loadPrimaryAgentConfig(env: NodeJS.ProcessEnv): PrimaryAgentConfig {
  const parsed = loadEnv(PrimaryAgentEnv, env, AGENT_SECRET_VARS)
  return { ...agentServiceSettings(parsed), ...clusterAgentSettings(parsed) }
}
