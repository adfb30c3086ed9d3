import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll } from 'vitest'
import { freePort } from './free-port.ts'
import { tempDir } from './gateway.ts'

const INSTALL = 'install it (Debian: apt-get install -y etcd-server), or put an etcd binary on PATH'

interface Member {
  name: string
  host: string
  clientPort: number
  peerPort: number
  process: ChildProcess | undefined
  log: string[]
}

/**
 * Three etcd members on loopback (127.0.0.11-13, ports the kernel picks), data in a temporary folder, with fast
 * elections (heartbeat 50 ms, election 500 ms). `stop(i)` and `start(i)` take one member down and up again.
 */
export class EtcdCluster {
  readonly #dir = tempDir('vault-dr-etcd-')
  readonly #members: Member[] = []

  static async start(): Promise<EtcdCluster> {
    const found = spawnSync('etcd', ['--version'], { encoding: 'utf8' })
    if (found.error !== undefined || found.status !== 0) {
      throw new Error(`these tests need etcd and cannot start it (${found.error?.message ?? found.stderr}): ${INSTALL}`)
    }
    const cluster = new EtcdCluster()
    for (const [i, host] of ['127.0.0.11', '127.0.0.12', '127.0.0.13'].entries()) {
      const [clientPort, peerPort] = [await freePort(host), await freePort(host)]
      cluster.#members.push({ name: `m${i + 1}`, host, clientPort, peerPort, process: undefined, log: [] })
    }
    try {
      // One at a time: a new member first asks the others' peer ports whether the cluster exists, and waits a second
      // on each port that is bound but not yet serving, as all are when three start together.
      for (const i of cluster.#members.keys()) {
        cluster.start(i)
        await cluster.#waitServing(i)
      }
      await cluster.waitHealthy()
    } catch (err) {
      await cluster.close()
      throw err
    }
    return cluster
  }

  /** The members' client addresses, host:port. */
  get endpoints(): string[] {
    return this.#members.map((m) => `${m.host}:${m.clientPort}`)
  }

  /** VAULT_DR_STORE for these members. */
  get storeUrl(): string {
    return `etcd://${this.endpoints.join(',')}`
  }

  /** A key prefix nobody else used, so tests sharing the cluster do not see each other's keys. */
  freshPrefix(): string {
    return `/vault-dr-test/${randomUUID()}/`
  }

  /** How many keys under `prefix` the cluster holds (etcd's JSON gateway, on the first member that answers). */
  async keyCount(prefix: string): Promise<number> {
    const b64 = (b: Buffer) => b.toString('base64')
    const end = Buffer.from(prefix)
    end[end.length - 1] = (end[end.length - 1] as number) + 1
    const body = JSON.stringify({ key: b64(Buffer.from(prefix)), range_end: b64(end), count_only: true })
    for (const endpoint of this.endpoints) {
      const res = await fetch(`http://${endpoint}/v3/kv/range`, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(2_000),
      }).catch(() => undefined)
      if (res?.ok) return Number(((await res.json()) as { count?: string }).count ?? 0)
    }
    throw new Error(`no etcd member answered a range read of ${prefix}`)
  }

  start(i: number): void {
    const m = this.#members[i]
    if (m === undefined || m.process !== undefined) return
    const peers = this.#members.map((p) => `${p.name}=http://${p.host}:${p.peerPort}`).join(',')
    const client = `http://${m.host}:${m.clientPort}`
    const child = spawn(
      'etcd',
      [
        `--name=${m.name}`,
        `--data-dir=${join(this.#dir.dir, m.name)}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=http://${m.host}:${m.peerPort}`,
        `--initial-advertise-peer-urls=http://${m.host}:${m.peerPort}`,
        `--initial-cluster=${peers}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=vault-dr-test',
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => m.log.push(chunk))
    child.on('exit', () => {
      if (m.process === child) m.process = undefined
    })
    m.process = child
  }

  /** Stops one member (SIGTERM by default, as an operator would) and waits until it exited. */
  async stop(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#members[i]?.process
    if (child === undefined) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
  }

  /** Freezes member i (SIGSTOP): its connections stay open and every call to it hangs, as on a stalled disk. */
  pause(i: number): void {
    this.#members[i]?.process?.kill('SIGSTOP')
  }

  /** Lets a paused member i go on (SIGCONT). */
  resume(i: number): void {
    this.#members[i]?.process?.kill('SIGCONT')
  }

  /** Waits until member i serves its peer port (its client port waits for a leader): it is past its bootstrap. */
  async #waitServing(i: number, timeoutMs = 15_000): Promise<void> {
    const m = this.#members[i] as Member
    const deadline = Date.now() + timeoutMs
    while (!(await answers(`http://${m.host}:${m.peerPort}/version`))) {
      if (m.process === undefined || Date.now() > deadline) {
        throw new Error(
          `etcd member ${m.name} did not start serving within ${timeoutMs} ms: ${m.log.join('').slice(-2000)}`,
        )
      }
      await sleep(20)
    }
  }

  /** Waits until every running member says the cluster is healthy (a leader, and a quorum behind it). */
  async waitHealthy(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const running = this.#members.filter((m) => m.process !== undefined)
      const answers = await Promise.all(running.map((m) => healthy(`http://${m.host}:${m.clientPort}/health`)))
      if (running.length > 0 && answers.every(Boolean)) return
      if (Date.now() > deadline) {
        const logs = this.#members.map((m) => `${m.name}: ${m.log.join('').slice(-2000)}`).join('\n')
        throw new Error(`the test etcd cluster did not become healthy within ${timeoutMs} ms:\n${logs}`)
      }
      await sleep(100)
    }
  }

  /** Kills every member: their data goes with the folder, and a SIGTERM'd leader waits seconds for the others. */
  async close(): Promise<void> {
    await Promise.all(this.#members.map((_, i) => this.stop(i, 'SIGKILL')))
    this.#dir.cleanup()
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(300) })
    await res.body?.cancel()
    return res.ok
  } catch {
    return false
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) })
    return res.ok && ((await res.json()) as { health?: string }).health === 'true'
  } catch {
    return false
  }
}

/** One etcd cluster for the whole test file: started before its tests, stopped after them. */
export function useEtcdCluster(): { readonly cluster: EtcdCluster } {
  const holder = { cluster: undefined as unknown as EtcdCluster }
  beforeAll(async () => {
    holder.cluster = await EtcdCluster.start()
  }, 30_000)
  afterAll(async () => {
    await holder.cluster?.close()
  })
  return holder
}
