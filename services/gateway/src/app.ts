import { createServer } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import { type AgentClients, createAgentClients } from './agents/agent-clients.ts'
import { clustersRoutes } from './clusters/clusters.routes.ts'
import { createClustersService } from './clusters/clusters.service.ts'
import type { GatewayConfig } from './config.ts'
import { createCeremonyService } from './dr-operation-tokens/ceremony.service.ts'
import { createDrTokenCustody } from './dr-operation-tokens/token-custody.ts'
import { createFailoverPlanner, observePairFor } from './failovers/failover-planner.ts'
import { failoversRoutes } from './failovers/failovers.routes.ts'
import { VantageHistory } from './failovers/vantage-history.ts'
import { GatewayErrors } from './gateway-errors.ts'
import { HandshakeBus } from './handshakes/handshake-bus.ts'
import type { RunnerHooks } from './handshakes/handshake-driver.ts'
import { HandshakeRunner } from './handshakes/handshake-runner.ts'
import { OpenStreams } from './handshakes/handshake-stream.ts'
import { handshakesRoutes } from './handshakes/handshakes.routes.ts'
import { createHandshakesService } from './handshakes/handshakes.service.ts'
import { STEPS } from './handshakes/steps/index.ts'
import { createGatewayMetrics, createPairMetrics } from './metrics/gateway-metrics.ts'
import { ceremonyRoutes } from './pairs/ceremony.routes.ts'
import { pairsRoutes } from './pairs/pairs.routes.ts'
import { createPairsService } from './pairs/pairs.service.ts'
import { DEFAULT_PAIRS_SETTINGS } from './pairs/pairs-defaults.ts'
import { startPairsUpkeep } from './pairs/pairs-upkeep.ts'
import { preflightRoutes } from './preflight/preflight.routes.ts'
import { openStore } from './store/open-store.ts'
import { SecretBox } from './store/secret-box.ts'
import type { Store } from './store/store.ts'
import { storeReadiness, verifyStoreKey } from './store/store-readiness.ts'
import { statusPage } from './ui/status-page.ts'

export type { AgentClients, AgentTarget, PrimaryAgentClient, SecondaryAgentClient } from './agents/agent-clients.ts'
export type { GatewayConfig } from './config.ts'
export { loadGatewayConfig } from './config.ts'
export type { RunnerHooks } from './handshakes/handshake-driver.ts'

const STORE_KEY_HELP =
  'unfinished handshakes are left as they are, not resumed: restart the gateway with the VAULT_DR_STORE_KEY ' +
  '(or VAULT_DR_STORE_KEY_FILE, else VAULT_DR_API_TOKEN) the store was written with, and they resume'

export interface GatewayDeps {
  logStream?: DestinationStream
  /** The agents' clients; tests inject fakes. Default: clients typed from the agents' OpenAPI, over undici. */
  agents?: AgentClients
  /** Default: the SQLite file at VAULT_DR_STORE. An injected store is the caller's to close. */
  store?: Store
  /** The clock for timestamps and token expiry. */
  now?: () => number
  hooks?: RunnerHooks
  /** On close, how long steps in flight may take to reach a boundary; default VAULT_DR_AGENT_TIMEOUT_MS. */
  stopGraceMs?: number
}

/**
 * Builds the gateway, which coordinates DR handshakes between a primary agent and a secondary agent. Never listens;
 * resumes unfinished handshakes once ready, and on close lets them stop at a step boundary, resumable.
 */
export async function buildApp(config: GatewayConfig, deps: GatewayDeps = {}) {
  const settings = config.handshakes
  const registry = new Registry()
  const store = deps.store ?? openStore(config.storePath, config.etcd)
  const box = new SecretBox(config.storeSecret)
  const agents =
    deps.agents ??
    createAgentClients({
      timeoutMs: settings.agentTimeoutMs,
      changeTimeoutMs: settings.agentChangeTimeoutMs,
      caPem: config.agentCaPem,
    })
  const now = deps.now ?? Date.now
  const metrics = createGatewayMetrics(registry, () => store.countByState())
  const app = await createServer({
    name: 'vault-dr-gateway',
    version: '0.1.0',
    description:
      'Coordinates Vault DR handshakes between a primary agent and a secondary agent, durably and resumably.',
    apiToken: config.api.token,
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    registry,
    readiness: { store: storeReadiness(store, box) },
    tls: config.tls,
    tags: [
      { name: 'clusters', description: 'The registry of clusters and their agents, and the fleet view' },
      { name: 'handshakes', description: 'DR handshakes: preflight, enable, mint, inspect, activate, verify' },
      { name: 'pairs', description: 'DR pairs: live status, readiness to fail over, DR operation tokens' },
      { name: 'failovers', description: "Failover when the primary's site is lost: plan, guard, promote, fence" },
    ],
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
  })
  const bus = new HandshakeBus()
  const streams = new OpenStreams()
  const clusters = createClustersService({ store, box, agents, fleetTimeoutMs: settings.fleetTimeoutMs, now })
  const runner = new HandshakeRunner({
    store,
    bus,
    metrics,
    settings,
    now,
    clusters,
    agents,
    log: app.log.child({ component: 'handshakes' }),
    hooks: deps.hooks ?? {},
    steps: STEPS,
    stopGraceMs: deps.stopGraceMs ?? settings.agentTimeoutMs,
  })
  const handshakes = createHandshakesService({ store, clusters, runner, bus, settings, now })
  const pairSettings = config.pairs ?? DEFAULT_PAIRS_SETTINGS
  const custody = createDrTokenCustody({
    store,
    box,
    agents,
    targetOf: clusters.targetOf,
    now,
    ttl: pairSettings.drTokenTtl,
  })
  const history = new VantageHistory()
  const pairs = createPairsService({
    store,
    clusters,
    agents,
    custody,
    metrics: createPairMetrics(registry),
    now,
    statusTimeoutMs: settings.fleetTimeoutMs,
    tokenMinRemainingS: pairSettings.drTokenMinRemainingS,
    observe: observePairFor(history, now),
  })
  const planner = createFailoverPlanner({
    pairs,
    clusters,
    agents,
    history,
    now,
    maxLagWals: 100,
    // The upkeep reads every pair once a round: the last read before a loss is at most one round old.
    maxReadGapMs: pairSettings.upkeepMs + 5_000,
  })
  let upkeep: ReturnType<typeof startPairsUpkeep> | undefined

  await app.register(
    async (v1) => {
      await v1.register(clustersRoutes, { clusters })
      await v1.register(handshakesRoutes, { handshakes, store, bus, streams })
      await v1.register(preflightRoutes, { clusters, agents, store })
      await v1.register(pairsRoutes, { pairs })
      await v1.register(failoversRoutes, { planner })
      await v1.register(ceremonyRoutes, {
        ceremony: createCeremonyService({ store, box, agents, clusters, now, secondaryOf: pairs.secondaryOf }),
      })
    },
    { prefix: '/v1' },
  )
  await app.register(statusPage)

  app.addHook('onReady', async () => {
    // With another store key the agent tokens cannot be opened: resuming would fail every unfinished handshake.
    if (await verifyStoreKey(store, box, app.log)) {
      await runner.start()
      upkeep = startPairsUpkeep(pairs, pairSettings.upkeepMs, app.log.child({ component: 'pairs' }))
    } else app.log.error({ code: GatewayErrors.storeKeyMismatch.code }, STORE_KEY_HELP)
  })
  app.addHook('preClose', async () => streams.closeAll())
  app.addHook('onClose', async () => {
    await upkeep?.stop()
    await runner.stop()
    if (deps.agents === undefined) await agents.close()
    if (deps.store === undefined) await store.close()
  })
  return app
}
