import { createAgentApp } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { SecondaryAgentConfig } from './config.ts'

export type { SecondaryAgentConfig } from './config.ts'

export interface SecondaryAgentDeps {
  /** Where logs go; tests pass an object with write(line) to search what was logged. */
  logStream?: DestinationStream
}

/**
 * Builds the secondary agent, deployed next to the cluster that starts as a DR secondary. It serves every cluster
 * operation (after a role swap its cluster is the DR primary). Never listens.
 */
export async function buildApp(config: SecondaryAgentConfig, deps: SecondaryAgentDeps = {}) {
  const { app } = await createAgentApp({
    name: 'vault-dr-secondary-agent',
    description:
      'The agent next to the cluster that starts as a DR secondary: inspect a token without consuming it, probe the primary from this network, activate, check DR operation tokens and run their ceremony, status, write check, and after a role swap the DR primary operations (mint, revoke, demote, DR operation tokens). Mutating calls are fenced by x-vault-dr-epoch.',
    config,
    logStream: deps.logStream,
    status: {
      operationId: 'getSecondaryStatus',
      summary: "The secondary cluster's Vault health and DR replication state",
    },
  })
  return app
}
