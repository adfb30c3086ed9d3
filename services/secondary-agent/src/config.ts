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

export const DEFAULT_PORT = 8420

const SecondaryAgentEnv = z.object({ ...agentServiceEnvShape(DEFAULT_PORT), ...clusterAgentEnvShape })

export type SecondaryAgentConfig = ClusterAgentConfig

/** The only place the secondary agent reads its environment. */
export function loadSecondaryAgentConfig(env: NodeJS.ProcessEnv): SecondaryAgentConfig {
  const parsed = loadEnv(SecondaryAgentEnv, env, AGENT_SECRET_VARS)
  return { ...agentServiceSettings(parsed), ...clusterAgentSettings(parsed) }
}
