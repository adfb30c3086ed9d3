import type { App } from '../server/create-server.ts'
import { singleFlight } from '../util/single-flight.ts'
import { type ClusterAgentConfig, DEFAULT_DR_OPERATION_TOKEN_TTL } from './cluster-agent-config.ts'
import { ceremonyRoutes } from './dr-operation-token/ceremony.routes.ts'
import { createCeremonyService } from './dr-operation-token/ceremony.service.ts'
import { checkDrOperationTokenRoutes } from './dr-operation-token/check-token.routes.ts'
import { createDrOperationTokenRoutes } from './dr-operation-token/create-token.routes.ts'
import { deleteDrOperationTokenRoutes } from './dr-operation-token/delete-token.routes.ts'
import { drPrimaryRoutes } from './dr-primary/dr-primary.routes.ts'
import { roleChangeRoutes } from './dr-roles/role-change.routes.ts'
import type { RoleChangeService } from './dr-roles/role-change.service.ts'
import { drSecondaryRoutes } from './dr-secondary/dr-secondary.routes.ts'
import { createDrSecondaryService } from './dr-secondary/dr-secondary.service.ts'
import type { EpochStore } from './epoch/epoch-store.ts'
import { fenceRoutes } from './fence/fence.routes.ts'
import type { FenceKeeper } from './fence/fence-keeper.ts'
import { localProbeRoutes } from './local-probe/local-probe.routes.ts'
import { probeLocalCluster } from './local-probe/local-probe.service.ts'
import { merkleCheckRoutes } from './merkle-check/merkle-check.routes.ts'
import { createOperationsInFlight } from './operations-in-flight.ts'
import { primaryProbeRoutes } from './primary-probes/probes.routes.ts'
import { createProbesService } from './primary-probes/probes.service.ts'
import { secondaryTokenRoutes } from './secondary-tokens/secondary-token.routes.ts'
import { servingCheckRoute, servingConfirmRoute } from './serving/serving.routes.ts'
import type { ServingGate } from './serving/serving-gate.ts'
import { agentStatusRoutes } from './status/agent-status.routes.ts'
import { tokensRoutes } from './token-inspection/tokens.routes.ts'
import { createTokensService } from './token-inspection/tokens.service.ts'
import type { VaultAgent } from './vault-agent.ts'
import { type VaultTokenChecker, vaultTokenRoutes } from './vault-token-routes.ts'
import { writeCheckRoutes } from './write-check/write-check.routes.ts'

export const CLUSTER_AGENT_TAGS = [
  { name: 'status', description: "The cluster's Vault and DR replication state, the agent's token, the write check" },
  {
    name: 'dr-primary',
    description: 'Enable DR primary, mint and revoke secondary activation tokens, DR operation tokens',
  },
  {
    name: 'dr-secondary',
    description: 'Activate this cluster as a DR secondary (wipes its data), DR operation token checks and ceremony',
  },
  { name: 'dr-roles', description: 'Demote, promote, re-point: the role changes of a switchover or failover' },
  { name: 'tokens', description: 'Inspect an activation token without consuming it' },
  {
    name: 'probes',
    description: "Self-checks of the local cluster, and probes of the primary from this cluster's network",
  },
]

export interface ClusterOperationsOptions {
  agent: VaultAgent
  tokenChecker: VaultTokenChecker
  config: ClusterAgentConfig
  epochs: EpochStore
  /** The fence of an old primary; its demote is the role-change service's (roleChanges). */
  fence: FenceKeeper
  roleChanges: RoleChangeService
  /** The load balancers' check and what confirms the primary role. */
  serving: ServingGate
  /** The status route keeps each agent's own operationId (getPrimaryStatus, getSecondaryStatus). */
  status: { operationId: string; summary: string }
}

/**
 * Every cluster operation, registered on either agent: the cluster next to an agent may be the DR primary or a DR
 * secondary, and swaps in a switchover or failover. One implementation serves both deployable agents.
 */
export async function registerClusterOperations(app: App, opts: ClusterOperationsOptions): Promise<void> {
  const { agent, config } = opts
  const prefix = '/v1'
  const waitTimeoutMs = config.agent.waitTimeoutMs
  const inFlight = createOperationsInFlight()
  // A fleet's preflights all self-check the same primary at once: they share one probe, and a good answer a second.
  const localProbe = singleFlight(
    () => probeLocalCluster(agent, { clusterAddr: config.clusterAddr, timeoutMs: config.agent.probeTimeoutMs }),
    1_000,
    (result) => result.ok,
  )
  const probe = { probeTimeoutMs: config.agent.probeTimeoutMs, primaryCaPem: config.primaryCaPem }

  await app.register(agentStatusRoutes, {
    prefix,
    agent,
    ...opts.status,
    epoch: opts.epochs.current,
    fencedJson: opts.fence.json,
    fenced: opts.fence.record,
    fenceOnIsolationMs: config.fenceOnIsolationMs ?? null,
  })
  await app.register(vaultTokenRoutes, { prefix, checker: opts.tokenChecker })
  await app.register(writeCheckRoutes, { prefix, agent })
  await app.register(localProbeRoutes, { prefix, localProbe: localProbe.get })
  await app.register(primaryProbeRoutes, {
    prefix,
    service: createProbesService({ ...probe, metrics: agent.metrics, activationCaFile: config.activationCaFile }),
  })
  await app.register(tokensRoutes, { prefix, service: createTokensService(probe) })
  await app.register(drPrimaryRoutes, { prefix, agent, waitTimeoutMs, onRoleChange: localProbe.invalidate })
  await app.register(secondaryTokenRoutes, { prefix, agent, waitTimeoutMs, inFlight })
  await app.register(createDrOperationTokenRoutes, {
    prefix,
    agent,
    defaultTtl: config.drOperationTokenTtl ?? DEFAULT_DR_OPERATION_TOKEN_TTL,
  })
  await app.register(drSecondaryRoutes, {
    prefix,
    inFlight,
    service: createDrSecondaryService(agent, {
      defaultCaFile: config.activationCaFile,
      activationTimeoutMs: Math.max(config.vault.timeoutMs, waitTimeoutMs),
      waitTimeoutMs,
    }),
  })
  await app.register(roleChangeRoutes, {
    prefix,
    service: opts.roleChanges,
    onRoleChange: () => {
      localProbe.invalidate()
      opts.fence.nudge()
    },
    inFlight,
  })
  await app.register(checkDrOperationTokenRoutes, { prefix, agent })
  await app.register(deleteDrOperationTokenRoutes, { prefix, agent })
  await app.register(merkleCheckRoutes, { prefix, agent })
  await app.register(ceremonyRoutes, { prefix, ceremony: createCeremonyService(agent) })
  await app.register(fenceRoutes, { prefix, keeper: opts.fence })
  await app.register(servingCheckRoute, { agent, gate: opts.serving })
  await app.register(servingConfirmRoute, { prefix, agent, gate: opts.serving, epoch: opts.epochs.current })
}
