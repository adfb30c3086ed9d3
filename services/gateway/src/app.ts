import { createServer } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { GatewayConfig } from './config.ts'

export type { GatewayConfig } from './config.ts'

export interface GatewayDeps {
  logStream?: DestinationStream
}

/** Builds the gateway, which coordinates DR handshakes between a primary and a secondary agent. Never listens. */
export async function buildApp(config: GatewayConfig, deps: GatewayDeps = {}) {
  const app = await createServer({
    name: 'vault-dr-gateway',
    version: '0.1.0',
    description:
      'Coordinates Vault DR handshakes between a primary agent and a secondary agent, durably and resumably.',
    apiToken: config.api.token,
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
  })
  return app
}
