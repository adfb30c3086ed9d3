import {
  AGENT_SECRET_VARS,
  type AgentServiceSettings,
  agentServiceEnvShape,
  agentServiceSettings,
  loadEnv,
  pemFileVar,
} from '@vault-dr/core'
import { z } from 'zod'

export const DEFAULT_PORT = 8420

const SecondaryAgentEnv = z.object({
  ...agentServiceEnvShape(DEFAULT_PORT),
  /** CA that signed the primary's API (8200) certificate, for probes and token lookups from this network. */
  VAULT_DR_PRIMARY_CACERT: pemFileVar.optional(),
  /**
   * A CA bundle path on the secondary Vault server's own filesystem, passed to Vault as ca_file on activation (so
   * Vault can verify the primary's API certificate while unwrapping) unless the request brings ca_file or ca_pem.
   */
  VAULT_DR_ACTIVATION_CA_FILE: z.string().startsWith('/', 'must be an absolute path on the Vault server').optional(),
})

export interface SecondaryAgentConfig extends AgentServiceSettings {
  primaryCaPem: string | undefined
  activationCaFile: string | undefined
}

/** The only place the secondary agent reads its environment. */
export function loadSecondaryAgentConfig(env: NodeJS.ProcessEnv): SecondaryAgentConfig {
  const parsed = loadEnv(SecondaryAgentEnv, env, AGENT_SECRET_VARS)
  return {
    ...agentServiceSettings(parsed),
    primaryCaPem: parsed.VAULT_DR_PRIMARY_CACERT?.pem,
    activationCaFile: parsed.VAULT_DR_ACTIVATION_CA_FILE,
  }
}
