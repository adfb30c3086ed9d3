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

export const DEFAULT_PORT = 8410

const PrimaryAgentEnv = z.object({ ...serviceEnvShape(DEFAULT_PORT), ...vaultEnvShape })

export interface PrimaryAgentConfig extends ServiceSettings {
  vault: VaultSettings
}

/** The only place the primary agent reads its environment. */
export function loadPrimaryAgentConfig(env: NodeJS.ProcessEnv): PrimaryAgentConfig {
  const parsed = loadEnv(PrimaryAgentEnv, env, [...SERVICE_SECRET_VARS, ...VAULT_SECRET_VARS])
  return { ...serviceSettings(parsed), vault: vaultSettings(parsed) }
}
