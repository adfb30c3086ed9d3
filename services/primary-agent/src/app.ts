import {
  createAgentApp,
  createRoleChangeService,
  roleChangeRoutes,
  secondaryTokenRoutes,
  singleFlight,
  vaultTokenRoutes,
} from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import { DEFAULT_DR_OPERATION_TOKEN_TTL, type PrimaryAgentConfig } from './config.ts'
import { drOperationTokenRoutes } from './dr-operation-token/dr-operation-token.routes.ts'
import { drPrimaryRoutes } from './dr-primary/dr-primary.routes.ts'
import { PRIMARY_GRANTS } from './permissions/required-grants.ts'
import { probeLocalCluster } from './probes/local-probe.service.ts'
import { probesRoutes } from './probes/probes.routes.ts'
import { statusRoutes } from './status/status.routes.ts'

export type { PrimaryAgentConfig } from './config.ts'

export interface PrimaryAgentDeps {
  logStream?: DestinationStream
}

/** Builds the primary agent: its half of the DR handshake, next to the primary cluster. Never listens. */
export async function buildApp(config: PrimaryAgentConfig, deps: PrimaryAgentDeps = {}) {
  const { app, agent, tokenChecker } = await createAgentApp({
    name: 'vault-dr-primary-agent',
    description:
      "The primary cluster's half of the Vault DR handshake: enable DR primary, mint and revoke secondary activation tokens, issue batch DR operation tokens, status and local probes.",
    config,
    logStream: deps.logStream,
    requiredGrants: PRIMARY_GRANTS,
    tags: [
      { name: 'status', description: "The primary cluster's Vault and DR replication state" },
      { name: 'dr-primary', description: 'Enable DR primary, mint and revoke secondary activation tokens' },
      { name: 'probes', description: 'Self-checks of the local cluster' },
      { name: 'dr-roles', description: 'Demote, promote, re-point: the role changes of a switchover or failover' },
    ],
  })
  await app.register(statusRoutes, { prefix: '/v1', agent })
  await app.register(vaultTokenRoutes, { prefix: '/v1', checker: tokenChecker })
  // A fleet's preflights all self-check the same primary at once: they share one probe, and a good answer a second.
  const localProbe = singleFlight(
    () => probeLocalCluster(agent, { clusterAddr: config.clusterAddr, timeoutMs: config.agent.probeTimeoutMs }),
    1_000,
    (result) => result.ok,
  )
  await app.register(drPrimaryRoutes, {
    prefix: '/v1',
    agent,
    waitTimeoutMs: config.agent.waitTimeoutMs,
    onRoleChange: localProbe.invalidate,
  })
  await app.register(drOperationTokenRoutes, {
    prefix: '/v1',
    agent,
    defaultTtl: config.drOperationTokenTtl ?? DEFAULT_DR_OPERATION_TOKEN_TTL,
  })
  await app.register(secondaryTokenRoutes, { prefix: '/v1', agent, waitTimeoutMs: config.agent.waitTimeoutMs })
  await app.register(probesRoutes, { prefix: '/v1', localProbe: localProbe.get })
  // After a role swap this cluster may be a DR secondary: the same role changes as the secondary agent's.
  await app.register(roleChangeRoutes, {
    prefix: '/v1',
    service: createRoleChangeService(agent, { waitTimeoutMs: config.agent.waitTimeoutMs }),
    onRoleChange: localProbe.invalidate,
  })
  return app
}
