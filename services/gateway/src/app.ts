import { createServer } from '@vault-dr/core'
import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import { type AgentClients, createAgentClients } from './agents/agent-clients.ts'
import { clusterAgent } from './agents/cluster-agent-client.ts'
import { clustersRoutes } from './clusters/clusters.routes.ts'
import { createClustersService } from './clusters/clusters.service.ts'
import type { GatewayConfig } from './config.ts'
import { createCeremonyService } from './dr-operation-tokens/ceremony.service.ts'
import { createDrTokenCustody, type TokenCustody } from './dr-operation-tokens/token-custody.ts'
import { createEngine, type GatewayKind } from './engine.ts'
import { autoFailoverWatcher } from './failovers/auto-failover-start.ts'
import { failoverKinds } from './failovers/failover-kinds.ts'
import { createFailoverPlanner, type FailoverPlanner, observePairFor } from './failovers/failover-planner.ts'
import { createFenceKeeper, FenceHeldNotDemoted } from './failovers/fence-keeper.ts'
import { createPrimaryContact } from './failovers/primary-contact.ts'
import { SelfFenceSettings } from './failovers/self-fence-record.ts'
import { VantageHistory } from './failovers/vantage-history.ts'
import { contactViews } from './failovers/vantage-points.ts'
import { GatewayErrors } from './gateway-errors.ts'
import { handshakesRoutes } from './handshakes/handshakes.routes.ts'
import { createHandshakesService } from './handshakes/handshakes.service.ts'
import { createGatewayMetrics, createPairMetrics } from './metrics/gateway-metrics.ts'
import { OperationBus } from './operations/operation-bus.ts'
import { OpenStreams } from './operations/operation-stream.ts'
import { operationsRoutes } from './operations/operations.routes.ts'
import type { RunnerHooks } from './operations/run-steps.ts'
import { ceremonyRoutes } from './pairs/ceremony.routes.ts'
import { pairsRoutes } from './pairs/pairs.routes.ts'
import { createPairsService } from './pairs/pairs.service.ts'
import { DEFAULT_PAIRS_SETTINGS } from './pairs/pairs-defaults.ts'
import { startPairsUpkeep } from './pairs/pairs-upkeep.ts'
import { preflightRoutes } from './preflight/preflight.routes.ts'
import { openStore } from './store/open-store.ts'
import { SecretBox } from './store/secret-box.ts'
import type { Store } from './store/store.ts'
import { startWhenStoreKeyVerified } from './store/store-key-gate.ts'
import { storeReadiness } from './store/store-readiness.ts'
import { documentStoreUnavailable } from './store/store-unavailable-response.ts'
import { roleChangeKinds } from './switchovers/role-change-kinds.ts'
import { statusPage } from './ui/status-page.ts'

export type { AgentClients, AgentTarget, PrimaryAgentClient, SecondaryAgentClient } from './agents/agent-clients.ts'
export type { GatewayConfig } from './config.ts'
export { loadGatewayConfig } from './config.ts'
export type { GatewayKind, KindDeps } from './engine.ts'
export type { RunnerHooks } from './operations/run-steps.ts'

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
  /** Operation kinds beyond the handshake, and their routes (default: gatewayKinds()). */
  kinds?: readonly GatewayKind[]
}

/*
 * ─── The registered operation kinds ─────────────────────────────────────────────────────────────────────────────
 * The handshake is built in (its own table and routes). Every other kind runs from the store's generic journal:
 * one line per kind here, its factory and its routes (see GatewayKind and KindDeps in engine.ts). They run only on a
 * store with the generic journal. Switchovers and drills also need the gateway's DR operation token custody.
 */
export function gatewayKinds(shared: {
  custody: TokenCustody
  planner: FailoverPlanner
  box: SecretBox
}): readonly GatewayKind[] {
  return [...roleChangeKinds(shared.custody), ...failoverKinds(shared)]
}

/**
 * Builds the gateway, which coordinates DR handshakes between a primary agent and a secondary agent. Never listens;
 * resumes unfinished handshakes once ready, and on close lets them stop at a step boundary, resumable.
 */
export async function buildApp(config: GatewayConfig, deps: GatewayDeps = {}) {
  const settings = config.handshakes
  const registry = new Registry()
  const store = deps.store ?? (await openStore(config.storePath, config.etcd))
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
    readOnlyToken: { variable: 'VAULT_DR_READ_TOKEN', value: config.readToken },
    bodyLimit: config.api.bodyLimit,
    logLevel: config.api.logLevel,
    registry,
    readiness: { store: storeReadiness(store, box) },
    // Its store check costs one read: run every 15 s as well, so the quorum alert needs no /readyz prober.
    readinessSelfCheckMs: 15_000,
    tls: config.tls,
    tags: [
      { name: 'clusters', description: 'The registry of clusters and their agents, and the fleet view' },
      { name: 'handshakes', description: 'DR handshakes: preflight, enable, mint, inspect, activate, verify' },
      { name: 'pairs', description: 'DR pairs: live status, readiness to fail over, DR operation tokens' },
      { name: 'operations', description: 'Durable operations of every kind (handshakes included): follow and cancel' },
      { name: 'failovers', description: "Failover when the primary's site is lost: plan, guard, promote, fence" },
    ],
    ...(deps.logStream === undefined ? {} : { logStream: deps.logStream }),
  })
  if (config.storeKeyFromApiToken === true) {
    app.log.warn(
      'VAULT_DR_STORE_KEY is not set: the agent tokens and DR operation tokens in the store are sealed with a key derived from VAULT_DR_API_TOKEN, so whoever holds that token and a copy of the store can open them, and rotating the token means registering every cluster again. Set VAULT_DR_STORE_KEY_FILE to a secret of its own.',
    )
  }
  const bus = new OperationBus()
  const streams = new OpenStreams()
  const clusters = createClustersService({ store, box, agents, fleetTimeoutMs: settings.fleetTimeoutMs, now })
  const log = app.log.child({ component: 'operations' })
  const pairSettings = config.pairs ?? DEFAULT_PAIRS_SETTINGS
  const custody = createDrTokenCustody({
    store,
    box,
    agents,
    targetOf: clusters.targetOf,
    now,
    ttl: pairSettings.drTokenTtl,
    log: app.log.child({ component: 'dr-operation-tokens' }),
  })
  const history = new VantageHistory({
    store,
    everyMs: pairSettings.upkeepMs,
    log: app.log.child({ component: 'failovers' }),
  })
  const selfFences = new SelfFenceSettings(store, app.log.child({ component: 'failovers' }))
  const pairs = createPairsService({
    store,
    clusters,
    agents,
    custody,
    metrics: createPairMetrics(registry),
    now,
    statusTimeoutMs: settings.fleetTimeoutMs,
    tokenMinRemainingS: pairSettings.drTokenMinRemainingS,
    observe: observePairFor(history, selfFences, now),
    autoFailoverBlockMs: pairSettings.autoFailoverBlockMs,
  })
  const contact = createPrimaryContact({
    store,
    statusOf: (c, signal, withinMs) =>
      clusterAgent(agents, clusters.targetOf(c)).status(signal, { quorumContact: { withinMs } }),
    gatewayId: settings.gatewayId,
    observe: (cluster, status, at) => {
      // Every few seconds, a primary's last WAL: the reading a loss estimate stands on is at most a round old.
      const wal = status?.replication?.mode === 'primary' ? status.replication.last_wal : null
      // Timed on this gateway's clock, as the loss estimate's other times are (the agent's may be off).
      if (status !== undefined && wal !== null) history.sawWal(cluster, wal, at)
      history.track(cluster, contactViews(status), at)
    },
    onPrimaries: (names) => history.keepOnly(names),
    intervalMs: pairSettings.primaryContactMs,
    timeoutMs: settings.fleetTimeoutMs,
    now,
    log: app.log.child({ component: 'primary-contact' }),
  })
  const planner = createFailoverPlanner({
    pairs,
    clusters,
    agents,
    history,
    selfFences,
    now,
    maxLagWals: 100,
    // Each primary is read every keeping-in-touch round: the last read before a loss is at most a round and a
    // status deadline old, as the secondary's last heartbeat is when it streamed until the loss.
    maxReadGapMs:
      pairSettings.primaryContactMs + Math.min(settings.fleetTimeoutMs, pairSettings.primaryContactMs) + 1_000,
    peerContacts: (primary) => contact.peerContacts(primary),
    fences: store,
  })
  const engine = createEngine({
    store,
    clusters,
    agents,
    settings,
    registry,
    handshakeMetrics: metrics,
    bus,
    now,
    log,
    hooks: deps.hooks ?? {},
    stopGraceMs: deps.stopGraceMs ?? settings.agentTimeoutMs,
    kinds: deps.kinds ?? gatewayKinds({ custody, planner, box }),
    // A new pair has a DR operation token at once, not only at the upkeep's next round (up to a minute without one:
    // not ready, and no failover if its primary were lost meanwhile).
    afterHandshake: async (hs) => {
      const joined = { primary: hs.primary, secondary: hs.secondary, secondary_id: hs.secondary_id }
      const { rotated } = await pairs.keepTokenOfJoined(joined)
      if (rotated !== undefined) log.info({ secondary: hs.secondary, reason: rotated }, 'DR operation token issued')
    },
  })
  const { runner, operations } = engine
  const handshakesService = createHandshakesService({ store, clusters, runner, bus, settings, now })
  let upkeep: ReturnType<typeof startPairsUpkeep> | undefined
  const fences = createFenceKeeper({
    store,
    statusOf: (c, signal) => clusterAgent(agents, clusters.targetOf(c)).status(signal, { fresh: true }),
    demote: async (c, fence, epoch, signal) => {
      // The agent keeps the fence on disk and retries the demote by itself; the next round asks again meanwhile.
      const client = clusterAgent(agents, clusters.targetOf(c))
      const done = await client.fence(
        { reason: `failed away from by failover ${fence.failover_id}`, failover_id: fence.failover_id },
        { epoch, signal },
      )
      if (!done.demoted) throw new FenceHeldNotDemoted(done.detail)
      return client.status(signal, { fresh: true })
    },
    now,
    log: app.log.child({ component: 'fences' }),
    intervalMs: pairSettings.fenceCheckMs,
  })
  const autoFailover = autoFailoverWatcher({
    store,
    clusters,
    agents,
    operations,
    settings,
    custody,
    planner,
    box,
    now,
    log: app.log.child({ component: 'auto-failover' }),
    blockMs: pairSettings.autoFailoverBlockMs,
    intervalMs: pairSettings.fenceCheckMs,
  })

  await app.register(
    async (v1) => {
      v1.addHook('onRoute', documentStoreUnavailable)
      await v1.register(clustersRoutes, { clusters })
      await v1.register(handshakesRoutes, { handshakes: handshakesService, store, bus, streams })
      await v1.register(preflightRoutes, { clusters, agents, store })
      await v1.register(pairsRoutes, { pairs })
      await v1.register(ceremonyRoutes, {
        ceremony: createCeremonyService({
          store,
          box,
          agents,
          clusters,
          now,
          secondaryOf: pairs.secondaryOf,
          log: app.log.child({ component: 'dr-operation-tokens' }),
        }),
      })
      await v1.register(operationsRoutes, { operations, bus, streams })
      // The routes of the registered kinds (gatewayKinds()).
      await engine.registerKindRoutes(v1)
    },
    { prefix: '/v1' },
  )
  await app.register(statusPage)

  let keyGate: { stop(): void } | undefined
  app.addHook('onReady', async () => {
    // With another store key the agent tokens cannot be opened: resuming would fail every unfinished handshake.
    // A store that does not answer yet (etcd without a quorum) does not stop the start: /readyz says why meanwhile.
    keyGate = await startWhenStoreKeyVerified({
      store,
      box,
      log: app.log,
      start: async () => {
        await runner.start()
        upkeep = startPairsUpkeep(pairs, pairSettings.upkeepMs, app.log.child({ component: 'pairs' }))
        fences.start()
        contact.start()
        autoFailover?.start()
      },
      onMismatch: () => app.log.error({ code: GatewayErrors.storeKeyMismatch.code }, STORE_KEY_HELP),
    })
  })
  app.addHook('preClose', async () => streams.closeAll())
  app.addHook('onClose', async () => {
    keyGate?.stop()
    await autoFailover?.stop()
    await fences.stop()
    await contact.stop()
    await upkeep?.stop()
    await runner.stop()
    if (deps.agents === undefined) await agents.close()
    if (deps.store === undefined) await store.close()
  })
  return app
}
