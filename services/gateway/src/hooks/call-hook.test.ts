import { createServer, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { watchLease } from '../operations/lease-watch.ts'
import { callHook } from './call-hook.ts'

const PAYLOAD = {
  operation_id: 'sw-1',
  kind: 'switchover',
  step: 'post_hook',
  phase: 'post' as const,
  clusters: ['dc1', 'dc2'],
  from: 'dc1',
  to: 'dc2',
}

describe('a hook call', () => {
  it('is not sent by a run whose lease ran out though its timer has not fired (a process frozen meanwhile)', async () => {
    // A listener that counts connections: the hook's host.
    const sockets: Socket[] = []
    const server = createServer((socket) => {
      sockets.push(socket)
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const lost = new AbortController()
    const gone = new Error('the lease is running out: no renewal was acknowledged in time')
    const lease = watchLease(performance.now() - 1, () => lost.abort(gone))
    try {
      const sent = callHook(
        `https://127.0.0.1:${port}/hook`,
        PAYLOAD,
        { caPem: undefined, timeoutMs: 5_000 },
        lost.signal,
      )
      await expect(sent).rejects.toBe(gone)
      expect(sockets).toHaveLength(0)
    } finally {
      lease.release()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
