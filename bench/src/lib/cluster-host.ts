import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { HostReply, HostRequest, SecondaryInfo, SimInfo, StateCounts } from '../hosts/host-protocol.ts'
import { type Child, spawnNode } from './children.ts'

const HOST_SCRIPT = fileURLToPath(new URL('../hosts/cluster-host.ts', import.meta.url))

type Body<T extends HostRequest['type']> = Omit<Extract<HostRequest, { type: T }>, 'id' | 'type'>

export interface HostOptions {
  heapMb?: number
  nodeArgs?: string[]
}

/** The orchestrator's handle on one cluster-host child process. */
export class ClusterHost {
  readonly child: Child
  #next = 1
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly ready: Promise<void>

  constructor(name: string, logDir: string, opts: HostOptions = {}) {
    this.child = spawnNode(
      name,
      HOST_SCRIPT,
      {},
      {
        logDir,
        ipc: true,
        nodeArgs: [`--max-old-space-size=${opts.heapMb ?? 4096}`, ...(opts.nodeArgs ?? [])],
      },
    )
    this.ready = new Promise((resolve, reject) => {
      this.#waiting.set(0, { resolve: () => resolve(), reject })
    })
    this.child.process.on('message', (reply: HostReply) => {
      const waiter = this.#waiting.get(reply.id)
      if (waiter === undefined) return
      this.#waiting.delete(reply.id)
      if (reply.ok) waiter.resolve(reply.result)
      else waiter.reject(new Error(`${name}: ${reply.error}`))
    })
    this.child.process.once('exit', (code) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`${name} exited (${code}); see ${this.child.logFile}`))
      this.#waiting.clear()
    })
  }

  #call<T>(req: Record<string, unknown> & { type: HostRequest['type'] }): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.process.send({ ...req, id })
    })
  }

  sims(body: Body<'sims'>): Promise<SimInfo[]> {
    return this.#call({ type: 'sims', ...body })
  }

  secondaries(body: Body<'secondaries'>): Promise<SecondaryInfo[]> {
    return this.#call({ type: 'secondaries', ...body })
  }

  states(group: string): Promise<StateCounts> {
    return this.#call({ type: 'states', group })
  }

  closeGroup(group: string): Promise<{ closed: number }> {
    return this.#call({ type: 'close-group', group })
  }

  async shutdown(): Promise<void> {
    if (this.child.exited()) return
    const exited = once(this.child.process, 'exit')
    await Promise.race([this.#call({ type: 'shutdown' }).catch(() => {}), sleep(30_000)])
    // It exits by itself once the sims are closed (writing its CPU profile first, when asked for one).
    await Promise.race([exited, sleep(10_000)])
    await this.child.stop(5_000)
  }
}

/** Starts a cluster host and waits for its hello. */
export async function startClusterHost(name: string, logDir: string, opts: HostOptions = {}) {
  const host = new ClusterHost(name, logDir, opts)
  await host.ready
  return host
}
