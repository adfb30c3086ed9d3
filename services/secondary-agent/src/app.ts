import { createServer, VaultClient } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { SecondaryAgentConfig } from './config.ts'
import { vaultReadiness } from './vault-readiness.ts'

export type { SecondaryAgentConfig } from './config.ts'

export interface SecondaryAgentDeps {
  logStream?: DestinationStream
}

/** Builds the secondary agent: its half of the DR handshake, next to the secondary cluster. Never listens. */
export async function buildApp(config: SecondaryAgentConfig, deps: SecondaryAgentDeps = {}) {
  const vault = new VaultClient({ ...config.vault })
  const app = await createServer({
    name: 'vault-dr-secondary-agent',
    version: '0.1.0',
    description:
      "The secondary cluster's half of the Vault DR handshake: inspect a token without consuming it, probe the primary from this network, activate, status.",
    apiToken: config.api.token,
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
    readiness: { vault: vaultReadiness(vault) },
  })
  app.addHook('onClose', () => vault.close())
  return app
}
