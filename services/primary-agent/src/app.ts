import { createAgentApp } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { PrimaryAgentConfig } from './config.ts'

export type { PrimaryAgentConfig } from './config.ts'

export interface PrimaryAgentDeps {
  logStream?: DestinationStream
}

/**
 * Builds the primary agent, deployed next to the cluster that starts as the DR primary. It serves every cluster
 * operation (after a role swap its cluster is a DR secondary). Never listens.
 */
export async function buildApp(config: PrimaryAgentConfig, deps: PrimaryAgentDeps = {}) {
  const { app } = await createAgentApp({
    name: 'vault-dr-primary-agent',
    description:
      'The agent next to the cluster that starts as the DR primary: enable DR primary, mint and revoke secondary activation tokens, issue batch DR operation tokens, status, probes, write check, and after a role swap the DR secondary operations (activate, promote, update-primary, public key, DR operation token checks and ceremony). Mutating calls are fenced by x-vault-dr-epoch.',
    config,
    logStream: deps.logStream,
    status: { operationId: 'getPrimaryStatus', summary: "The primary cluster's Vault and DR replication state" },
  })
  return app
}
