import { GatewayErrors } from '../gateway-errors.ts'
import type { HandshakeRecord, Store } from '../store/store.ts'
import { clusterBusy } from './cluster-busy.ts'
import type { OperationBus } from './operation-bus.ts'
import { isFinished } from './operation-journal.ts'
import { type GenericOperationStore, hasGenericJournal, type OperationRecord } from './operation-record.ts'
import type { OperationRunner } from './operation-runner.ts'
import type { StreamSource } from './operation-stream.ts'
import { handshakeAsOperation, journalAsOperation } from './operation-view.ts'
import type { ListOperationsQuery, Operation } from './operations.schemas.ts'

/** The runner's family names: the handshake table and the generic journal. */
export const HANDSHAKE_FAMILY = 'handshakes'
export const OPERATION_FAMILY = 'operations'

/** With a cluster filter, this many of the newest handshakes are searched (the handshake table has no cluster index). */
const HANDSHAKES_SEARCHED = 500

export interface OperationsServiceDeps {
  store: Store
  /** The generic journal; default: the store's, when it has one (without, only handshakes are operations). */
  journal?: GenericOperationStore | undefined
  runner: OperationRunner
  bus: OperationBus
  now: () => number
}

export type OperationsService = ReturnType<typeof createOperationsService>

type Found = { family: 'handshake'; record: HandshakeRecord } | { family: 'operation'; record: OperationRecord }

/** Every operation, handshakes included: starts the generic kinds, reads, lists and cancels them all. */
export function createOperationsService(deps: OperationsServiceDeps) {
  const { store, runner, bus, now } = deps
  const journal = deps.journal ?? (hasGenericJournal(store) ? store : undefined)
  const at = () => new Date(now()).toISOString()
  const notFound = (id: string) => GatewayErrors.operationNotFound(`No operation ${id}`)

  function generic(): GenericOperationStore {
    if (journal === undefined) throw new Error('this store has no operations journal')
    return journal
  }

  async function find(id: string): Promise<Found> {
    const hs = await store.getHandshake(id)
    if (hs !== undefined) return { family: 'handshake', record: hs }
    const op = await journal?.getOperation(id)
    if (op !== undefined) return { family: 'operation', record: op }
    throw notFound(id)
  }

  const asHandshake = (hs: HandshakeRecord) =>
    handshakeAsOperation(hs, runner.pastPointOfNoReturn(HANDSHAKE_FAMILY, hs))
  const asOperation = (op: OperationRecord) => journalAsOperation(op, runner.pastPointOfNoReturn(OPERATION_FAMILY, op))
  const view = (found: Found): Operation =>
    found.family === 'handshake' ? asHandshake(found.record) : asOperation(found.record)

  async function listHandshakes(q: ListOperationsQuery): Promise<Operation[]> {
    if (q.cluster === undefined)
      return (await store.listHandshakes({ state: q.state, limit: q.limit })).map(asHandshake)
    const all = await store.listHandshakes({ state: q.state, limit: Math.max(q.limit, HANDSHAKES_SEARCHED) })
    return all
      .filter((hs) => hs.primary === q.cluster || hs.secondary === q.cluster)
      .slice(0, q.limit)
      .map(asHandshake)
  }

  async function listJournal(q: ListOperationsQuery): Promise<Operation[]> {
    if (journal === undefined || q.kind === 'handshake') return []
    const ops = await journal.listOperations({ kind: q.kind, state: q.state, cluster: q.cluster, limit: q.limit })
    return ops.map(asOperation)
  }

  return {
    /**
     * Creates an operation of a generic kind and starts running it. created: a new one (202); replayed: the one its
     * Idempotency-Key made (200).
     */
    async start(record: OperationRecord): Promise<{ created: boolean; operation: OperationRecord }> {
      const outcome = await generic().createOperation(record)
      switch (outcome.kind) {
        case 'created':
          bus.notify(outcome.operation.id)
          runner.kick(outcome.operation.id, OPERATION_FAMILY)
          return { created: true, operation: outcome.operation }
        case 'replayed':
          return { created: false, operation: outcome.operation }
        case 'key_conflict':
          throw GatewayErrors.idempotencyKeyReused(
            `Idempotency-Key was first used for operation ${outcome.operation.id} with another body`,
          )
        case 'cluster_busy':
          throw clusterBusy(outcome.holder, outcome.cluster)
      }
    },

    /** A record of the generic journal as the API shows it (e.g. the one a create answers). */
    viewOf: asOperation,

    async get(id: string): Promise<Operation> {
      return view(await find(id))
    },

    /** Newest first, at most `limit`, of every kind unless one is asked. */
    async list(q: ListOperationsQuery): Promise<Operation[]> {
      const handshakes = q.kind === undefined || q.kind === 'handshake' ? await listHandshakes(q) : []
      const others = await listJournal(q)
      return [...handshakes, ...others]
        .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
        .slice(0, q.limit)
    },

    /** Flags a pending or running operation for cancellation; the runner ends it at its next boundary. */
    async cancel(id: string): Promise<Operation> {
      const found = await find(id)
      if (found.family === 'handshake') {
        const hs = await store.requestCancel(id, at())
        if (hs === undefined) throw notFound(id)
        if (isFinished(hs)) throw GatewayErrors.operationFinished(`Operation ${id} (handshake) already ${hs.state}`)
        bus.notify(id)
        runner.cancel(id, HANDSHAKE_FAMILY)
        return asHandshake(hs)
      }
      const op = await generic().requestCancelOperation(id, at())
      if (op === undefined) throw notFound(id)
      if (isFinished(op)) throw GatewayErrors.operationFinished(`Operation ${id} (${op.kind}) already ${op.state}`)
      bus.notify(id)
      runner.cancel(id, OPERATION_FAMILY)
      return asOperation(op)
    },

    /** Where the event stream of an operation reads from (a 404 when there is none). */
    async streamSource(id: string): Promise<StreamSource<HandshakeRecord> | StreamSource<OperationRecord>> {
      const found = await find(id)
      if (found.family === 'handshake') {
        return {
          get: (x) => store.getHandshake(x),
          events: (x, after) => store.events(x, after),
          toPublic: asHandshake,
          idField: 'operation_id',
        }
      }
      const ops = generic()
      return {
        get: (x) => ops.getOperation(x),
        events: (x, after) => ops.operationEvents(x, after),
        toPublic: asOperation,
        idField: 'operation_id',
      }
    },
  }
}
