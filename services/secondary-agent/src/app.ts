import {
  createAgentApp,
  createRoleChangeService,
  roleChangeRoutes,
  secondaryTokenRoutes,
  vaultTokenRoutes,
} from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import type { SecondaryAgentConfig } from './config.ts'
import { ceremonyRoutes } from './dr-operation-token/ceremony.routes.ts'
import { createCeremonyService } from './dr-operation-token/ceremony.service.ts'
import { drOperationTokenRoutes } from './dr-operation-token/dr-operation-token.routes.ts'
import { drSecondaryRoutes } from './dr-secondary/dr-secondary.routes.ts'
import { createDrSecondaryService } from './dr-secondary/dr-secondary.service.ts'
import { SECONDARY_GRANTS } from './permissions/required-grants.ts'
import { probesRoutes } from './probes/probes.routes.ts'
import { createProbesService } from './probes/probes.service.ts'
import { statusRoutes } from './status/status.routes.ts'
import { createStatusService } from './status/status.service.ts'
import { tokensRoutes } from './tokens/tokens.routes.ts'
import { createTokensService } from './tokens/tokens.service.ts'

export type { SecondaryAgentConfig } from './config.ts'

export interface SecondaryAgentDeps {
  /** Where logs go; tests pass an object with write(line) to search what was logged. */
  logStream?: DestinationStream
}

/** Builds the secondary agent: its half of the DR handshake, next to the secondary cluster. Never listens. */
export async function buildApp(config: SecondaryAgentConfig, deps: SecondaryAgentDeps = {}) {
  const { app, agent, tokenChecker } = await createAgentApp({
    name: 'vault-dr-secondary-agent',
    description:
      "The secondary cluster's half of the Vault DR handshake: inspect a token without consuming it, probe the primary from this network, activate, check DR operation tokens, status.",
    config,
    logStream: deps.logStream,
    requiredGrants: SECONDARY_GRANTS,
    tags: [
      { name: 'status', description: "The secondary cluster's Vault and DR replication state" },
      { name: 'tokens', description: 'Inspect an activation token without consuming it' },
      { name: 'probes', description: "Probes of the primary from the secondary's network" },
      { name: 'dr-secondary', description: 'Activate this cluster as a DR secondary (wipes its data)' },
      { name: 'dr-roles', description: 'Demote, promote, re-point: the role changes of a switchover or failover' },
      {
        name: 'dr-primary',
        description: 'Mint and revoke secondary activation tokens (once this cluster is the primary)',
      },
    ],
  })
  const probe = { probeTimeoutMs: config.agent.probeTimeoutMs, primaryCaPem: config.primaryCaPem }
  await app.register(statusRoutes, { prefix: '/v1', service: createStatusService(agent) })
  await app.register(vaultTokenRoutes, { prefix: '/v1', checker: tokenChecker })
  await app.register(tokensRoutes, { prefix: '/v1', service: createTokensService(probe) })
  await app.register(probesRoutes, {
    prefix: '/v1',
    service: createProbesService({ ...probe, metrics: agent.metrics, activationCaFile: config.activationCaFile }),
  })
  await app.register(drSecondaryRoutes, {
    prefix: '/v1',
    service: createDrSecondaryService(agent, {
      defaultCaFile: config.activationCaFile,
      activationTimeoutMs: Math.max(config.vault.timeoutMs, config.agent.waitTimeoutMs),
    }),
  })
  // After a role swap this cluster may be the DR primary: the same role changes, mints and revocations as the
  // primary agent's.
  await app.register(roleChangeRoutes, {
    prefix: '/v1',
    service: createRoleChangeService(agent, { waitTimeoutMs: config.agent.waitTimeoutMs }),
  })
  await app.register(secondaryTokenRoutes, { prefix: '/v1', agent, waitTimeoutMs: config.agent.waitTimeoutMs })
  await app.register(drOperationTokenRoutes, { prefix: '/v1', agent })
  await app.register(ceremonyRoutes, { prefix: '/v1', ceremony: createCeremonyService(agent) })
  return app
}
