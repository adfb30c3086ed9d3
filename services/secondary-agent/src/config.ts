import {
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

export const DEFAULT_PORT = 8420

const SecondaryAgentEnv = z.object({ ...serviceEnvShape(DEFAULT_PORT), ...vaultEnvShape })

export interface SecondaryAgentConfig extends ServiceSettings {
  vault: VaultSettings
}

/** The only place the secondary agent reads its environment. */
export function loadSecondaryAgentConfig(env: NodeJS.ProcessEnv): SecondaryAgentConfig {
  const parsed = loadEnv(SecondaryAgentEnv, env, [...SERVICE_SECRET_VARS, ...VAULT_SECRET_VARS])
  return { ...serviceSettings(parsed), vault: vaultSettings(parsed) }
}
