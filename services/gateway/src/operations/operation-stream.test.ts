import { EventEmitter } from 'node:events'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { OperationBus } from './operation-bus.ts'
import type { JournalEvent } from './operation-journal.ts'
import { OpenStreams, streamOperation } from './operation-stream.ts'

/** One operation in memory, written as a runner would (its record and its events together), counting reads. */
function journal() {
  const record = { id: 'op-1', state: 'running' as string }
  const events: JournalEvent[] = []
  const reads = { record: 0 }
  return {
    reads,
    write(state: string | undefined, type: JournalEvent['type']) {
      if (state !== undefined) record.state = state
      events.push({ seq: events.length + 1, type, data: state === undefined ? {} : { state } } as JournalEvent)
    },
    source: {
      get: async () => {
        reads.record++
        return { ...record } as never
      },
      events: async (_id: string, after: number) => events.filter((e) => e.seq > after),
      toPublic: (r: unknown) => r,
      idField: 'operation_id',
    },
  }
}

/** The SSE response as written, through a fake reply. */
function sse() {
  const raw = Object.assign(new EventEmitter(), {
    text: '',
    ended: false,
    writeHead: () => {},
    write(chunk: string) {
      raw.text += chunk
      return true
    },
    end() {
      raw.ended = true
    },
  })
  const reply = { hijack: () => {}, raw } as unknown as FastifyReply
  const request = { headers: {}, id: 'req-1' } as unknown as FastifyRequest
  const names = () => [...raw.text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])
  return { reply, request, raw, names }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('the event stream of an operation', () => {
  it('sends each write at once, reads the operation only on state events, and ends with done without waiting for a poll', async () => {
    const j = journal()
    const bus = new OperationBus()
    const out = sse()
    j.write(undefined, 'step')
    await streamOperation(out.request, out.reply, 'op-1', j.source, { bus, open: new OpenStreams(), pollMs: 60_000 })
    await settle()
    const atStart = j.reads.record
    for (let i = 0; i < 3; i++) {
      j.write(undefined, 'step')
      bus.notify('op-1')
      await settle()
    }
    expect(out.names()).toEqual(['snapshot', 'step', 'step', 'step'])
    expect(j.reads.record).toBe(atStart)
    j.write('succeeded', 'state')
    bus.notify('op-1')
    await settle()
    expect(out.names()).toEqual(['snapshot', 'step', 'step', 'step', 'state', 'done'])
    expect(out.raw.ended).toBe(true)
  })
})
