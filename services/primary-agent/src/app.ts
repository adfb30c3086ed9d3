import { createServer, VaultClient } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { PrimaryAgentConfig } from './config.ts'
import { vaultReadiness } from './vault-readiness.ts'

export type { PrimaryAgentConfig } from './config.ts'

export interface PrimaryAgentDeps {
  logStream?: DestinationStream
}

/** Builds the primary agent: its half of the DR handshake, next to the primary cluster. Never listens. */
export async function buildApp(config: PrimaryAgentConfig, deps: PrimaryAgentDeps = {}) {
  const vault = new VaultClient({ ...config.vault })
  const app = await createServer({
    name: 'vault-dr-primary-agent',
    version: '0.1.0',
    description:
      "The primary cluster's half of the Vault DR handshake: enable DR primary, mint and revoke secondary activation tokens, status and local probes.",
    apiToken: config.api.token,
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
    readiness: { vault: vaultReadiness(vault) },
  })
  app.addHook('onClose', () => vault.close())
  return app
}
