import { createServer, Agent as HttpAgent, request } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface VaultGate {
  /** `http://127.0.0.1:<port>`: the Vault address to give a service instead of the cluster's own. */
  url: string
  /** From now on, requests (those whose path `matches`, when given) wait at the gate until release(). */
  hold(matches?: (path: string) => boolean): void
  /** Lets every waiting request through; later ones pass until the next hold(). */
  release(): void
  /** Drops every waiting request unanswered (it never reaches Vault); later ones pass until the next hold(). */
  drop(): void
  /**
   * Answers every waiting request as Vault refusing it, `{"errors": [...]}` with `status` (it never reaches Vault);
   * later ones pass until the next hold().
   */
  refuse(status: number, errors: string[]): void
  /** Resolves once a request waits at the gate: whoever sent it is in the middle of its work. */
  waiting(): Promise<void>
  close(): Promise<void>
}

/**
 * A plain-HTTP proxy in front of an emulated Vault's API that can hold requests: a test learns that a service is
 * in the middle of a request (it waits on Vault), and decides when that request may finish, with no sleeps.
 */
export async function startVaultGate(target: string): Promise<VaultGate> {
  const upstreamAgent = new HttpAgent({ keepAlive: false })
  let gate:
    | {
        opened: Promise<void>
        open: () => void
        matches: (path: string) => boolean
        dropped: boolean
        refusal?: { status: number; errors: string[] }
      }
    | undefined
  let waitingCount = 0
  let onWaiting: Array<() => void> = []
  const sockets = new Set<Socket>()
  const server = createServer(async (req, res) => {
    // The whole request first: once held, it reaches Vault as sent even if its sender has died meanwhile.
    const chunks: Buffer[] = []
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer)
    } catch {
      res.destroy()
      return
    }
    if (gate?.matches(new URL(req.url ?? '/', target).pathname)) {
      waitingCount += 1
      for (const notify of onWaiting.splice(0)) notify()
      const held = gate
      await held?.opened
      waitingCount -= 1
      if (held?.dropped) {
        req.destroy()
        res.destroy()
        return
      }
      if (held?.refusal !== undefined) {
        res.writeHead(held.refusal.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ errors: held.refusal.errors }))
        return
      }
    }
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers, agent: upstreamAgent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    upstream.end(Buffer.concat(chunks))
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const release = () => {
    gate?.open()
    gate = undefined
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(matches = () => true) {
      if (gate !== undefined) return
      let open!: () => void
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      gate = { opened, open, matches, dropped: false }
    },
    release,
    drop() {
      if (gate !== undefined) gate.dropped = true
      release()
    },
    refuse(status, errors) {
      if (gate !== undefined) gate.refusal = { status, errors }
      release()
    },
    waiting: () => (waitingCount > 0 ? Promise.resolve() : new Promise((resolve) => onWaiting.push(resolve))),
    async close() {
      release()
      onWaiting = []
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
      upstreamAgent.destroy()
    },
  }
}
