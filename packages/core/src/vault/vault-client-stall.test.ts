import { setImmediate as turn } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { VaultClient } from './vault-client.ts'

// Flags shared with the Vault thread: [0] it has the request, [1] this thread is frozen, [2] it has answered.
const ASKED = 0
const FROZEN = 1
const ANSWERED = 2

/**
 * A Vault on its own thread (so it answers while this one is frozen) that holds each request until this thread says
 * it is frozen, then answers at once.
 */
const vaultThread = `
const { createServer } = require('node:http')
const { parentPort, workerData } = require('node:worker_threads')
const flags = new Int32Array(workerData)
const server = createServer((req, res) => {
  Atomics.store(flags, ${ASKED}, 1)
  Atomics.notify(flags, ${ASKED})
  Atomics.wait(flags, ${FROZEN}, 0, 10000)
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}', () => {
    Atomics.store(flags, ${ANSWERED}, 1)
    Atomics.notify(flags, ${ANSWERED})
  })
})
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port))
`

let worker: Worker | undefined
afterEach(async () => {
  await worker?.terminate()
})

async function startVault(flags: Int32Array): Promise<string> {
  worker = new Worker(vaultThread, { eval: true, workerData: flags.buffer })
  const port = await new Promise<number>((resolve, reject) => {
    worker?.once('message', resolve)
    worker?.once('error', reject)
  })
  return `http://127.0.0.1:${port}`
}

/** Blocks this thread (no timer, no socket read) for at least `ms`, as SIGSTOP or a long GC pause would. */
function freeze(ms: number, flags: Int32Array): void {
  const until = performance.now() + ms
  Atomics.store(flags, FROZEN, 1)
  Atomics.notify(flags, FROZEN)
  Atomics.wait(flags, ANSWERED, 0, 10_000)
  const idle = new Int32Array(new SharedArrayBuffer(4))
  for (let left = until - performance.now(); left > 0; left = until - performance.now()) Atomics.wait(idle, 0, 0, left)
}

describe('a process stall longer than the deadline', () => {
  it('is not a Vault timeout when the answer arrived in time', async () => {
    const flags = new Int32Array(new SharedArrayBuffer(12))
    const client = new VaultClient({ addr: await startVault(flags), token: 'hvs.test', timeoutMs: 200, retries: 0 })
    const call = client.read('sys/replication/dr/status')
    // The loop turns until Vault has the request (connected and sent), then stops while Vault answers.
    while (Atomics.load(flags, ASKED) === 0) await turn()
    freeze(600, flags)
    // On resume the deadline's timer is overdue and Vault's answer waits in the socket.
    await expect(call).resolves.toMatchObject({ status: 200, body: { data: { ok: true } } })
    await client.close()
  })
})
