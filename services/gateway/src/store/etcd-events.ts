import { randomUUID } from 'node:crypto'
import { type Kv, type Op, put } from './etcd-kv.ts'

/**
 * How many events one transaction may write. An event's sequence number is the revision of the transaction that wrote
 * it times this, plus its place in that transaction: one write may hold several (a step's end with the next step's
 * start), and each needs a number of its own, in order, for Last-Event-ID. Events written before a transaction could
 * hold several have no place, so 0: the numbers of every event keep their order.
 */
export const EVENTS_PER_WRITE = 16

interface StoredEvent {
  at: string
  type: string
  data: Record<string, unknown>
  /** The event's place in its transaction; absent when it is the first. */
  n?: number
}

/** The puts of `events`, in their order, under `prefix` (a record's event keys). */
export function eventPuts(
  prefix: string,
  at: string,
  events: readonly { type: string; data: Record<string, unknown> }[],
): Op[] {
  if (events.length > EVENTS_PER_WRITE)
    throw new Error(`${events.length} events in one write: at most ${EVENTS_PER_WRITE}`)
  return events.map((event, n) => {
    const stored: StoredEvent = { at, type: event.type, data: event.data, ...(n === 0 ? {} : { n }) }
    return put(`${prefix}${randomUUID()}`, JSON.stringify(stored))
  })
}

/** The events of `kvs` (a record's event keys) numbered after `afterSeq`, oldest first. */
export function eventsAfter<Type extends string>(
  kvs: readonly Kv[],
  afterSeq: number,
): Array<{ seq: number; at: string; type: Type; data: Record<string, unknown> }> {
  return kvs
    .map((kv) => {
      const { at, type, data, n } = JSON.parse(kv.value.toString('utf8')) as StoredEvent
      return { seq: kv.createRevision * EVENTS_PER_WRITE + (n ?? 0), at, type: type as Type, data }
    })
    .filter((e) => e.seq > afterSeq)
    .sort((a, b) => a.seq - b.seq)
}
