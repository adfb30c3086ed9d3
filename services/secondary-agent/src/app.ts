import { createServer, createVaultAgent, vaultReadiness } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import type { SecondaryAgentConfig } from './config.ts'

export type { SecondaryAgentConfig } from './config.ts'

export interface SecondaryAgentDeps {
  logStream?: DestinationStream
}

/** Builds the primary agent: its half of the DR handshake, next to the secondary cluster. Never listens. */
export async function buildApp(config: SecondaryAgentConfig, deps: SecondaryAgentDeps = {}) {
  const registry = new Registry()
  const agent = createVaultAgent(registry, config.vault, config.agent.statusCacheMs)
  const app = await createServer({
    name: 'vault-dr-secondary-agent',
    version: '0.1.0',
    description:
      "The secondary cluster's half of the Vault DR handshake: inspect a token without consuming it, probe the primary from this network, activate, status.",
    apiToken: config.api.token,
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    registry,
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
    readiness: { vault: vaultReadiness(agent) },
    tags: [
      { name: 'status', description: "The secondary cluster's Vault and DR replication state" },
      { name: 'tokens', description: 'Inspect an activation token without consuming it' },
      { name: 'probes', description: "Probes of the primary from the secondary's network" },
      { name: 'dr-secondary', description: 'Activate this cluster as a DR secondary (wipes its data)' },
    ],
  })
  app.addHook('onClose', () => agent.vault.close())
  return app
}
