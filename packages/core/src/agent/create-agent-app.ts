import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import type { AgentSettings, ServiceSettings, VaultSettings } from '../config/service-config.ts'
import { type App, createServer } from '../server/create-server.ts'
import type { RequiredGrant } from '../vault/token-check.ts'
import { createVaultAgent, type VaultAgent } from './vault-agent.ts'
import { vaultReadiness } from './vault-readiness.ts'
import { createVaultTokenChecker, type VaultTokenChecker } from './vault-token-routes.ts'

export interface AgentAppOptions {
  name: string
  description: string
  tags: Array<{ name: string; description: string }>
  config: ServiceSettings & { vault: VaultSettings; agent: AgentSettings }
  logStream?: DestinationStream | undefined
  /** What the agent's Vault token must be able to do: readiness (vault_token) fails until it can. */
  requiredGrants: readonly RequiredGrant[]
}

/**
 * The server every agent starts from: the core server, its Vault agent, readiness on that Vault and on its token's
 * permissions, cleanup on close.
 */
export async function createAgentApp(
  opts: AgentAppOptions,
): Promise<{ app: App; agent: VaultAgent; tokenChecker: VaultTokenChecker }> {
  const registry = new Registry()
  const agent = createVaultAgent(registry, opts.config.vault, opts.config.agent.statusCacheMs)
  const tokenChecker = createVaultTokenChecker(agent, opts.requiredGrants)
  const app = await createServer({
    name: opts.name,
    version: '0.1.0',
    description: opts.description,
    apiToken: opts.config.api.token,
    bodyLimit: opts.config.api.bodyLimit,
    logLevel: opts.config.api.logLevel,
    registry,
    ...(opts.logStream === undefined ? {} : { logStream: opts.logStream }),
    readiness: { vault: vaultReadiness(agent), vault_token: tokenChecker.readiness },
    tags: opts.tags,
    tls: opts.config.tls,
  })
  app.addHook('onClose', () => agent.vault.close())
  return { app, agent, tokenChecker }
}
