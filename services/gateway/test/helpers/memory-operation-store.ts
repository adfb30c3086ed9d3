import type {
  CreateOperationOutcome,
  GenericOperationStore,
  JournalKindName,
  NewOperationEvent,
  OperationEvent,
  OperationPatch,
  OperationRecord,
} from '../../src/operations/operation-record.ts'
import type { OperationState } from '../../src/operations/operations.schemas.ts'
import { type EventsToWrite, eventsToWrite } from '../../src/store/events-to-write.ts'
import { LeaseLost } from '../../src/store/store.ts'
import type { UpdateOptions, UpdateOutcome } from '../../src/store/update-outcome.ts'

const unfinished = (op: OperationRecord) => op.state === 'pending' || op.state === 'running'

/** The generic journal in memory, with the store's fencing rules: for engine tests. */
export class MemoryOperationStore implements GenericOperationStore {
  readonly records = new Map<string, OperationRecord>()
  readonly leases = new Map<string, { owner: string; until: number }>()
  readonly log: OperationEvent[] = []
  #seq = 0

  async createOperation(op: OperationRecord): Promise<CreateOperationOutcome> {
    if (op.idempotency_key !== null) {
      const earlier = await this.operationByIdempotencyKey(op.idempotency_key)
      if (earlier !== undefined) {
        return { kind: earlier.request_hash === op.request_hash ? 'replayed' : 'key_conflict', operation: earlier }
      }
    }
    for (const other of this.records.values()) {
      const cluster = op.clusters.find((c) => unfinished(other) && other.clusters.includes(c))
      if (cluster !== undefined) {
        return { kind: 'cluster_busy', cluster, holder: { kind: other.kind, id: other.id, state: other.state } }
      }
    }
    this.records.set(op.id, structuredClone(op))
    return { kind: 'created', operation: structuredClone(op) }
  }

  async operationByIdempotencyKey(key: string) {
    return [...this.records.values()].find((op) => op.idempotency_key === key)
  }

  async getOperation(id: string) {
    const op = this.records.get(id)
    return op === undefined ? undefined : structuredClone(op)
  }

  async listOperations(q: {
    kind?: string | undefined
    state?: string | undefined
    cluster?: string | undefined
    limit: number
  }) {
    return [...this.records.values()]
      .filter((op) => (q.kind === undefined || op.kind === q.kind) && (q.state === undefined || op.state === q.state))
      .filter((op) => q.cluster === undefined || op.clusters.includes(q.cluster))
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1))
      .slice(0, q.limit)
  }

  async updateOperation(
    id: string,
    patch: OperationPatch,
    at: string,
    events?: EventsToWrite<NewOperationEvent>,
    owner?: string,
    opts?: UpdateOptions,
  ): Promise<UpdateOutcome> {
    const op = this.records.get(id)
    if (op === undefined) throw new Error(`no operation ${id}`)
    if (owner !== undefined && (!unfinished(op) || this.leases.get(id)?.owner !== owner)) throw new LeaseLost(id)
    if (opts?.unlessCancelled && op.cancel_requested) return { cancel_requested: true, skipped: true }
    Object.assign(op, structuredClone(patch), { updated_at: at })
    for (const event of eventsToWrite(events)) {
      this.log.push({ seq: ++this.#seq, operation_id: id, at, ...structuredClone(event) })
    }
    return { cancel_requested: op.cancel_requested }
  }

  async requestCancelOperation(id: string, _at: string) {
    const op = this.records.get(id)
    if (op === undefined) return undefined
    if (unfinished(op)) op.cancel_requested = true
    return structuredClone(op)
  }

  async operationCancelRequested(id: string) {
    return this.records.get(id)?.cancel_requested ?? false
  }

  async resumableOperations(owner: string, now: number, ownName?: string) {
    return [...this.records.values()].filter((op) => {
      const lease = this.leases.get(op.id)
      const free = lease === undefined || lease.owner === owner || lease.until <= now
      return unfinished(op) && (free || (ownName !== undefined && lease.owner.startsWith(`${ownName}/`)))
    })
  }

  async claimOperation(id: string, owner: string, now: number, until: number, ownName?: string) {
    const lease = this.leases.get(id)
    const mayTake =
      lease === undefined ||
      lease.owner === owner ||
      lease.until <= now ||
      (ownName !== undefined && lease.owner.startsWith(`${ownName}/`))
    if (!mayTake) return false
    this.leases.set(id, { owner, until })
    return true
  }

  async renewOperation(id: string, owner: string, until: number) {
    const lease = this.leases.get(id)
    const op = this.records.get(id)
    if (lease?.owner !== owner || op === undefined || !unfinished(op)) return false
    this.leases.set(id, { owner, until })
    return true
  }

  async releaseOperation(id: string, owner: string) {
    if (this.leases.get(id)?.owner === owner) this.leases.delete(id)
  }

  async countOperations() {
    const counts = {} as Record<JournalKindName, Record<OperationState, number>>
    for (const op of this.records.values()) {
      counts[op.kind] ??= { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
      counts[op.kind][op.state]++
    }
    return counts
  }

  async operationEvents(id: string, afterSeq: number) {
    return this.log.filter((e) => e.operation_id === id && e.seq > afterSeq)
  }
}
