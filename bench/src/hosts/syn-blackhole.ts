/**
 * A pure TCP black hole on loopback, without root or iptables: a listener with a backlog of 1 whose process never
 * accepts (its only thread blocks right after announcing the port). Once the kernel's accept queue is full, further
 * SYNs are dropped, so a connect() gets no answer at all: the same as a firewall that drops packets.
 */
import { createServer } from 'node:net'

const server = createServer()
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  const { port } = server.address() as { port: number }
  process.send?.({ port }, () => {
    // Block the event loop for good (no CPU: a futex wait), so nothing is ever accepted.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  })
})
