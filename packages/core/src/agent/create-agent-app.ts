import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import type { AgentSettings, ServiceSettings, VaultSettings } from '../config/service-config.ts'
import { type App, createServer } from '../server/create-server.ts'
import { createVaultAgent, type VaultAgent } from './vault-agent.ts'
import { vaultReadiness } from './vault-readiness.ts'

export interface AgentAppOptions {
  name: string
  description: string
  tags: Array<{ name: string; description: string }>
  config: ServiceSettings & { vault: VaultSettings; agent: AgentSettings }
  logStream?: DestinationStream | undefined
}

/** The server every agent starts from: the core server, its Vault agent, readiness on that Vault, cleanup on close. */
export async function createAgentApp(opts: AgentAppOptions): Promise<{ app: App; agent: VaultAgent }> {
  const registry = new Registry()
  const agent = createVaultAgent(registry, opts.config.vault, opts.config.agent.statusCacheMs)
  const app = await createServer({
    name: opts.name,
    version: '0.1.0',
    description: opts.description,
    apiToken: opts.config.api.token,
    bodyLimit: opts.config.api.bodyLimit,
    logLevel: opts.config.api.logLevel,
    registry,
    ...(opts.logStream === undefined ? {} : { logStream: opts.logStream }),
    readiness: { vault: vaultReadiness(agent) },
    tags: opts.tags,
    tls: opts.config.tls,
  })
  app.addHook('onClose', () => agent.vault.close())
  return { app, agent }
}
