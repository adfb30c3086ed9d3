import { loadEnv, SERVICE_SECRET_VARS, type ServiceSettings, serviceEnvShape, serviceSettings } from '@vault-dr/core'
import { z } from 'zod'

export const DEFAULT_PORT = 8400

const GatewayEnv = z.object({
  ...serviceEnvShape(DEFAULT_PORT),
  VAULT_DR_STORE: z.string().min(1).default('.vault-dr/gateway.sqlite'),
})

export interface GatewayConfig extends ServiceSettings {
  storePath: string
}

/** The only place the gateway reads its environment. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const parsed = loadEnv(GatewayEnv, env, SERVICE_SECRET_VARS)
  return { ...serviceSettings(parsed), storePath: parsed.VAULT_DR_STORE }
}
