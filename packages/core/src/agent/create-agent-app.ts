import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import { type App, createServer } from '../server/create-server.ts'
import { type ClusterAgentConfig, DEFAULT_SERVING_RECONFIRM_AFTER_MS, stateDirFor } from './cluster-agent-config.ts'
import { CLUSTER_AGENT_TAGS, registerClusterOperations } from './cluster-operations.ts'
import { createRoleChangeService } from './dr-roles/role-change.service.ts'
import { installEpochFence, overtakenEpoch } from './epoch/epoch-fence.ts'
import { createEpochStore } from './epoch/epoch-store.ts'
import { fenceRefusal, installFenceGuard } from './fence/fence-guard.ts'
import { createFenceKeeper } from './fence/fence-keeper.ts'
import { fenceReadiness } from './fence/fence-readiness.ts'
import { createFenceStore } from './fence/fence-store.ts'
import { installIsolationMonitor } from './fence/isolation-monitor.ts'
import { CLUSTER_AGENT_GRANTS } from './required-grants.ts'
import { createServingGate } from './serving/serving-gate.ts'
import { createVaultAgent, type VaultAgent } from './vault-agent.ts'
import { vaultReadiness } from './vault-readiness.ts'
import { createVaultTokenChecker, type VaultTokenChecker } from './vault-token-routes.ts'

export interface AgentAppOptions {
  /** The deployable service's name, e.g. vault-dr-primary-agent: named by the side it starts on. */
  name: string
  description: string
  config: ClusterAgentConfig
  logStream?: DestinationStream | undefined
  /** The status route's operationId and summary, which each agent keeps from before the agents served every role. */
  status: { operationId: string; summary: string }
}

/**
 * An agent: the core server, its Vault agent, readiness on that Vault and on its token's permissions (the union of
 * every operation's grants), the fencing epoch, and every cluster operation, whichever role its cluster has now.
 */
export async function createAgentApp(
  opts: AgentAppOptions,
): Promise<{ app: App; agent: VaultAgent; tokenChecker: VaultTokenChecker }> {
  const stateDir = opts.config.stateDir ?? stateDirFor(opts.name)
  const epochs = createEpochStore(stateDir)
  const fenceStore = createFenceStore(stateDir)
  const registry = new Registry()
  const agent = createVaultAgent(registry, opts.config.vault, opts.config.agent.statusCacheMs)
  const tokenChecker = createVaultTokenChecker(agent, CLUSTER_AGENT_GRANTS, undefined, {
    token: opts.config.vault.token,
    caPem: opts.config.primaryCaPem,
    timeoutMs: opts.config.agent.probeTimeoutMs,
  })
  // The fence and the epoch as they are when a role change has its turn and has read its cluster (the routes' guards
  // ran before it waited for either).
  const roleChanges = createRoleChangeService(agent, {
    waitTimeoutMs: opts.config.agent.waitTimeoutMs,
    refusal: (change, epoch) =>
      (change === 'demote' ? undefined : fenceRefusal(fence, change)) ?? overtakenEpoch(epochs, epoch),
  })
  let log: App['log'] | undefined
  const fence = createFenceKeeper({ agent, store: fenceStore, roleChanges, registry, log: () => log as App['log'] })
  const serving = createServingGate({
    fence: fence.record,
    reconfirmAfterMs: opts.config.servingReconfirmAfterMs ?? DEFAULT_SERVING_RECONFIRM_AFTER_MS,
    log: () => log as App['log'],
    registry,
  })
  agent.onStatus(serving.observe)
  const app = await createServer({
    name: opts.name,
    version: '0.1.0',
    description: opts.description,
    apiToken: opts.config.api.token,
    bodyLimit: opts.config.api.bodyLimit,
    logLevel: opts.config.api.logLevel,
    registry,
    ...(opts.logStream === undefined ? {} : { logStream: opts.logStream }),
    readiness: { vault: vaultReadiness(agent), vault_token: tokenChecker.readiness, fence: fenceReadiness(fence) },
    tags: CLUSTER_AGENT_TAGS,
    tls: opts.config.tls,
  })
  log = app.log
  app.addHook('onClose', () => agent.vault.close())
  // A fenced agent restarted mid-way demotes before anything else, as soon as it serves.
  app.addHook('onReady', (done) => {
    fence.start()
    serving.start(() => agent.status())
    done()
  })
  app.addHook('onClose', (_app, done) => {
    fence.stop()
    serving.stop()
    done()
  })
  installEpochFence(app, epochs)
  installFenceGuard(app, fence)
  if (opts.config.fenceOnIsolationMs !== undefined) {
    installIsolationMonitor(app, {
      agent,
      keeper: fence,
      durationMs: opts.config.fenceOnIsolationMs,
      epoch: epochs.current,
      stateDir,
    })
  }
  await registerClusterOperations(app, {
    agent,
    tokenChecker,
    config: opts.config,
    epochs,
    fence,
    roleChanges,
    serving,
    status: opts.status,
  })
  return { app, agent, tokenChecker }
}
