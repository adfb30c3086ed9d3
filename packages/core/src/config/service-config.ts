import type { z } from 'zod'
import type { serviceEnvShape, vaultEnvShape } from './env-schemas.ts'

type ServiceEnv = z.output<z.ZodObject<ReturnType<typeof serviceEnvShape>>>
type VaultEnv = z.output<z.ZodObject<typeof vaultEnvShape>>

export interface ServiceSettings {
  listen: { host: string; port: number }
  api: { token: string; bodyLimit: number; logLevel: string }
}

export interface VaultSettings {
  addr: string
  token: string
  caPem?: string | undefined
  clientCertPem?: string | undefined
  clientKeyPem?: string | undefined
  skipVerify: boolean
  timeoutMs: number
}

export function serviceSettings(env: ServiceEnv): ServiceSettings {
  return {
    listen: { host: env.VAULT_DR_HOST, port: env.VAULT_DR_PORT },
    api: { token: env.VAULT_DR_API_TOKEN, bodyLimit: env.VAULT_DR_BODY_LIMIT, logLevel: env.VAULT_DR_LOG_LEVEL },
  }
}

export function vaultSettings(env: VaultEnv): VaultSettings {
  return {
    addr: env.VAULT_ADDR,
    token: env.VAULT_TOKEN,
    caPem: env.VAULT_CACERT?.pem,
    clientCertPem: env.VAULT_CLIENT_CERT?.pem,
    clientKeyPem: env.VAULT_CLIENT_KEY?.pem,
    skipVerify: env.VAULT_SKIP_VERIFY,
    timeoutMs: env.VAULT_DR_VAULT_TIMEOUT_MS,
  }
}

export interface AgentSettings {
  statusCacheMs: number
  probeTimeoutMs: number
  waitTimeoutMs: number
}

export function agentSettings(env: {
  VAULT_DR_STATUS_CACHE_MS: number
  VAULT_DR_PROBE_TIMEOUT_MS: number
  VAULT_DR_WAIT_TIMEOUT_MS: number
}): AgentSettings {
  return {
    statusCacheMs: env.VAULT_DR_STATUS_CACHE_MS,
    probeTimeoutMs: env.VAULT_DR_PROBE_TIMEOUT_MS,
    waitTimeoutMs: env.VAULT_DR_WAIT_TIMEOUT_MS,
  }
}

export interface AgentServiceSettings extends ServiceSettings {
  vault: VaultSettings
  agent: AgentSettings
}

/** The settings every agent has, from the variables of `agentServiceEnvShape`. */
export function agentServiceSettings(
  env: ServiceEnv & VaultEnv & Parameters<typeof agentSettings>[0],
): AgentServiceSettings {
  return { ...serviceSettings(env), vault: vaultSettings(env), agent: agentSettings(env) }
}
