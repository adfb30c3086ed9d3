import type { z } from 'zod'
import type { serviceEnvShape, vaultEnvShape } from './env-schemas.ts'
import { ConfigError } from './load-config.ts'

type ServiceEnv = z.output<z.ZodObject<ReturnType<typeof serviceEnvShape>>>
type VaultEnv = z.output<z.ZodObject<typeof vaultEnvShape>>

export interface ServiceSettings {
  listen: { host: string; port: number }
  api: { token: string; bodyLimit: number; logLevel: string }
  /** Serve HTTPS with this certificate (chain) and key; plain HTTP without. */
  tls?: { certPem: string; keyPem: string } | undefined
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
  const cert = env.VAULT_DR_TLS_CERT
  const key = env.VAULT_DR_TLS_KEY
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError([
      `VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY: set both to serve HTTPS, or neither (only ${cert ? 'VAULT_DR_TLS_CERT' : 'VAULT_DR_TLS_KEY'} is set)`,
    ])
  }
  return {
    listen: { host: env.VAULT_DR_HOST, port: env.VAULT_DR_PORT },
    api: { token: env.VAULT_DR_API_TOKEN, bodyLimit: env.VAULT_DR_BODY_LIMIT, logLevel: env.VAULT_DR_LOG_LEVEL },
    tls: cert && key ? { certPem: cert.pem, keyPem: key.pem } : undefined,
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
