import { randomUUID } from 'node:crypto'
import type { ActivationRecord } from './dr-secondary.schemas.ts'

/** Activations remembered after they end, newest kept: enough for every gateway resuming one. */
const KEPT = 256

/**
 * What this agent process did with each activation it was sent, by the caller's activation id: in flight while
 * Vault has not answered (Vault carries on when the caller goes away), then succeeded or failed. A caller that lost
 * its answer (a gateway that restarted mid-call) asks here instead of guessing from the cluster's status, which
 * shows nothing while Vault unwraps on the primary and dials its cluster port. Kept in memory: `agent_started_at`
 * tells a caller whether this process could have seen an activation it sent.
 */
export class ActivationTracker {
  readonly #records = new Map<string, ActivationRecord>()
  readonly instance = randomUUID()
  readonly startedAt = new Date().toISOString()

  /** The activation running now, if any: one at a time per cluster. */
  inFlight(): ActivationRecord | undefined {
    for (const record of this.#records.values()) if (record.state === 'in_flight') return record
    return undefined
  }

  begin(activationId: string): void {
    this.#records.delete(activationId)
    this.#records.set(activationId, {
      activation_id: activationId,
      state: 'in_flight',
      started_at: new Date().toISOString(),
      finished_at: null,
      error: null,
    })
    while (this.#records.size > KEPT) {
      const oldest = this.#records.keys().next().value as string
      this.#records.delete(oldest)
    }
  }

  end(activationId: string, error: ActivationRecord['error']): void {
    const record = this.#records.get(activationId)
    if (record === undefined) return
    record.state = error === null ? 'succeeded' : 'failed'
    record.finished_at = new Date().toISOString()
    record.error = error
  }

  /** The activation as this process knows it; `unknown` when it never reached this process. */
  get(activationId: string): ActivationRecord & { agent_instance: string; agent_started_at: string } {
    const record = this.#records.get(activationId) ?? {
      activation_id: activationId,
      state: 'unknown' as const,
      started_at: null,
      finished_at: null,
      error: null,
    }
    return { ...record, agent_instance: this.instance, agent_started_at: this.startedAt }
  }
}
