import { CoreErrors, invalidFields } from '@vault-dr/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { OperationBus } from './operation-bus.ts'
import { isFinished, type JournalEvent, type JournalRecord } from './operation-journal.ts'

/** Where a stream reads one family of records from, and how it shows them. */
export interface StreamSource<Rec extends JournalRecord> {
  get(id: string): Promise<Rec | undefined>
  events(id: string, afterSeq: number): Promise<JournalEvent[]>
  toPublic(record: Rec): unknown
  /** The field naming the record in each event's data: handshake_id, operation_id. */
  idField: string
}

export interface StreamDeps {
  bus: OperationBus
  /** Re-reads the store this often, for transitions written by another gateway sharing it. */
  pollMs?: number
  heartbeatMs?: number
}

/** Open event streams, so the gateway can end them when it closes. */
export class OpenStreams {
  readonly #ends = new Set<() => void>()

  add(end: () => void): () => void {
    this.#ends.add(end)
    return () => this.#ends.delete(end)
  }

  closeAll(): void {
    for (const end of [...this.#ends]) end()
  }
}

/**
 * Server-sent events of one operation: `snapshot` (the operation now), then `state`, `step`, `checks` and `note`
 * events as they are stored (each with the store's sequence number as id; Last-Event-ID replays what was missed),
 * and a final `done` with the finished operation, after which the stream closes.
 */
export async function streamOperation<Rec extends JournalRecord>(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  source: StreamSource<Rec>,
  deps: StreamDeps & { open: OpenStreams },
): Promise<void> {
  const { bus } = deps
  const { toPublic } = source
  // The position first, then the snapshot: an event stored in between is then sent after the snapshot, not lost.
  const resumeFrom = lastEventId(request.headers['last-event-id'])
  let seq = resumeFrom ?? (await source.events(id, 0)).at(-1)?.seq ?? 0
  const first = await source.get(id)
  if (first === undefined) return

  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  })
  const send = (event: string, data: unknown, eventId?: number) =>
    raw.write(`${eventId === undefined ? '' : `id: ${eventId}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

  let closed = false
  let pumping: Promise<void> | undefined
  /** A pass asked while one runs: whether one is owed, and whether it reads the operation too. */
  let again: { full: boolean } | undefined
  const sendAll = (events: JournalEvent[]) => {
    for (const event of events) {
      seq = event.seq
      send(event.type, { [source.idField]: id, ...event.data }, event.seq)
    }
  }
  /**
   * One pass: send what was stored since the last event, and finish once the operation has. A pass after a write
   * (`full` false) reads the operation only when a state event came: an operation ends with one, in the write that
   * ends it. The periodic pass reads it anyway.
   */
  const pump = async (full: boolean) => {
    if (!full) {
      const events = await source.events(id, seq)
      sendAll(events)
      if (!events.some((e) => e.type === 'state')) return
    }
    // The state before the events: a transition and its event are stored together (by whichever gateway runs the
    // operation), so once the state read says finished, the events read after it hold the last one.
    const current = await source.get(id)
    sendAll(await source.events(id, seq))
    if (current !== undefined && isFinished(current)) {
      send('done', toPublic(current))
      end()
    }
  }
  const kick = (full = false) => {
    if (closed) return
    if (pumping !== undefined) {
      again = { full: full || again?.full === true }
      return
    }
    pumping = pump(full)
      .catch(() => end())
      .finally(() => {
        pumping = undefined
        const next = again
        again = undefined
        if (next !== undefined) kick(next.full)
      })
  }
  const unsubscribe = bus.subscribe(id, () => kick())
  const poll = setInterval(() => kick(true), deps.pollMs ?? 1_000)
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000)
  const forget = deps.open.add(() => end())
  function end() {
    if (closed) return
    closed = true
    unsubscribe()
    forget()
    clearInterval(poll)
    clearInterval(heartbeat)
    raw.end()
  }
  raw.on('close', end)
  send('snapshot', toPublic(first))
  kick(true)
}

const LAST_EVENT_ID = 'must be the id of an event of this stream: digits only'

/**
 * The event a client resumes after: an id this stream sent, in digits. Empty is none; anything else is refused
 * rather than read in part (`1e3` as 1, `0x10` as 0).
 */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim()
  if (value === '') return undefined
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value)
  throw CoreErrors.validation(`Invalid headers/last-event-id: ${LAST_EVENT_ID}`, {
    cause: invalidFields({ path: 'headers/last-event-id', message: LAST_EVENT_ID }),
  })
}
