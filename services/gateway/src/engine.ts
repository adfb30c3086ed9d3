import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { AgentClients } from './agents/agent-clients.ts'
import type { ClustersService } from './clusters/clusters.service.ts'
import type { GatewayConfig } from './config.ts'
import { handshakeFamily } from './handshakes/handshake.kind.ts'
import type { GatewayMetrics } from './metrics/gateway-metrics.ts'
import { createOperationMetrics } from './metrics/operation-metrics.ts'
import { genericJournal } from './operations/journals.ts'
import type { OperationBus } from './operations/operation-bus.ts'
import type { OperationKindFactory } from './operations/operation-kind.ts'
import { type GenericOperationStore, hasGenericJournal, type OperationRecord } from './operations/operation-record.ts'
import { type OperationFamily, OperationRunner } from './operations/operation-runner.ts'
import { createOperationsService, OPERATION_FAMILY, type OperationsService } from './operations/operations.service.ts'
import type { RunnerHooks } from './operations/run-steps.ts'
import type { HandshakeRecord, Store } from './store/store.ts'

/** What a kind of the generic journal is built from. */
export interface KindDeps {
  store: Store
  journal: GenericOperationStore
  clusters: ClustersService
  agents: AgentClients
  operations: OperationsService
  settings: GatewayConfig['handshakes']
  now: () => number
}

/** One operation kind of the generic journal, and how its routes are registered (under /v1). */
export interface GatewayKind {
  kind: OperationKindFactory<KindDeps>
  /** e.g. (v1, deps) => v1.register(switchoversRoutes, { switchovers: createSwitchoversService(deps) }) */
  routes?: (v1: FastifyInstance, deps: KindDeps) => PromiseLike<unknown>
}

export interface EngineDeps {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  settings: GatewayConfig['handshakes']
  registry: Registry
  /** The handshake's step metrics (vault_dr_handshake_*); the other kinds share vault_dr_operation_*. */
  handshakeMetrics: GatewayMetrics
  bus: OperationBus
  now: () => number
  log: FastifyBaseLogger
  hooks: RunnerHooks
  stopGraceMs: number
  kinds: readonly GatewayKind[]
  /** Once a handshake succeeded (HandshakeKindDeps.afterSuccess). */
  afterHandshake?: ((hs: HandshakeRecord) => Promise<void>) | undefined
}

/**
 * The one runner of every operation: handshakes from their table, the registered kinds from the store's generic
 * journal (when it has one), and the operations service over both.
 */
export function createEngine(deps: EngineDeps) {
  const { store, clusters, agents, settings, bus, now, log } = deps
  const handshakes = handshakeFamily(
    { store, clusters, agents, settings, afterSuccess: deps.afterHandshake },
    { log, now },
  )
  const journal = hasGenericJournal(store) ? store : undefined
  if (journal === undefined && deps.kinds.length > 0) {
    log.error('the store has no operations journal: only handshakes run, the other operation kinds are off')
  }
  const kinds = journal === undefined ? [] : deps.kinds
  const families: OperationFamily[] = [handshakes.family]
  // Handshakes are operations too: counted and timed by kind with the others, and in their own series as before.
  const operationMetrics = createOperationMetrics(deps.registry, async () => ({
    ...(journal === undefined ? {} : await journal.countOperations()),
    handshake: await store.countByState(),
  }))
  const metricsOf = (kind: string) =>
    kind === 'handshake' ? [deps.handshakeMetrics, operationMetrics] : [operationMetrics]
  const runner = new OperationRunner({
    families,
    upkeep: [handshakes.upkeep],
    bus,
    metrics: {
      observeStep: (kind, ...rest) => {
        for (const m of metricsOf(kind)) m.observeStep(kind, ...rest)
      },
      countFailure: (kind, code) => {
        for (const m of metricsOf(kind)) m.countFailure(kind, code)
      },
    },
    settings,
    agentReturnMs: settings.agentReturnMs,
    now,
    log,
    hooks: deps.hooks,
    stopGraceMs: deps.stopGraceMs,
  })
  const operations = createOperationsService({ store, runner, bus, now })
  const kindDeps = journal && { store, journal, clusters, agents, operations, settings, now }
  if (kindDeps !== undefined) {
    const byName = new Map(kinds.map(({ kind }) => kind(kindDeps)).map((k) => [k.kind, k]))
    families.push({
      name: OPERATION_FAMILY,
      journal: genericJournal(kindDeps.journal),
      kindOf: (op: OperationRecord) => byName.get(op.kind),
    })
  }
  return {
    runner,
    operations,
    /** Registers the routes of the registered kinds under /v1. */
    async registerKindRoutes(v1: FastifyInstance): Promise<void> {
      if (kindDeps === undefined) return
      for (const { routes } of kinds) if (routes !== undefined) await routes(v1, kindDeps)
    },
  }
}
