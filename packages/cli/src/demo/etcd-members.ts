import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Child, spawnProgram } from './child-processes.ts'
import { pickPort } from './free-address.ts'
import { privateDir } from './private-files.ts'

export const ETCD_INSTALL = 'install etcd (Debian: apt-get install -y etcd-server) or put an etcd binary on PATH'

/** The three members: site A, site B and the witness, each on its own loopback address. */
export const ETCD_MEMBERS = [
  { name: 'site-a', host: '127.0.3.1' },
  { name: 'site-b', host: '127.0.3.2' },
  { name: 'witness', host: '127.0.3.3' },
] as const

export interface EtcdMembers {
  /** host:port of each member's client listener. */
  endpoints: string[]
  /** VAULT_DR_STORE for these members. */
  storeUrl: string
}

/** Fails with what to install when no etcd binary runs. */
export function checkEtcdInstalled(): void {
  const found = spawnSync('etcd', ['--version'], { encoding: 'utf8' })
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(`cannot run etcd (${found.error?.message ?? found.stderr.trim()}): ${ETCD_INSTALL}`)
  }
}

/**
 * A fresh three-member etcd cluster on loopback: etcd's own ports (2379 clients, 2380 peers) on each member's address
 * when free, else ports the kernel picks (said in `notes`). Loopback timing: heartbeat 100 ms, election 1 s.
 */
export async function startEtcdMembers(
  dir: string,
  logs: string,
  children: Child[],
  notes: string[],
): Promise<EtcdMembers> {
  checkEtcdInstalled()
  rmSync(dir, { recursive: true, force: true })
  privateDir(dir)
  const members = []
  for (const m of ETCD_MEMBERS) {
    const client = await pickPort(m.host, 2379)
    const peer = await pickPort(m.host, 2380)
    if (!client.wantedWasFree || !peer.wantedWasFree) {
      notes.push(`${m.host}:2379/2380 busy: etcd member ${m.name} uses ${client.port}/${peer.port}`)
    }
    members.push({ ...m, clientUrl: `http://${m.host}:${client.port}`, peerUrl: `http://${m.host}:${peer.port}` })
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
  for (const m of members) {
    children.push(
      spawnProgram(
        `etcd ${m.name}`,
        'etcd',
        [
          `--name=${m.name}`,
          `--data-dir=${join(dir, m.name)}`,
          `--listen-client-urls=${m.clientUrl}`,
          `--advertise-client-urls=${m.clientUrl}`,
          `--listen-peer-urls=${m.peerUrl}`,
          `--initial-advertise-peer-urls=${m.peerUrl}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          '--initial-cluster-token=vault-dr-ha-demo',
          '--heartbeat-interval=100',
          '--election-timeout=1000',
          '--logger=zap',
          '--log-level=warn',
        ],
        {},
        join(logs, `etcd-${m.name}.log`),
      ),
    )
  }
  await waitHealthy(
    members.map((m) => m.clientUrl),
    children.slice(-members.length),
    20_000,
  )
  const endpoints = members.map((m) => m.clientUrl.replace('http://', ''))
  return { endpoints, storeUrl: `etcd://${endpoints.join(',')}` }
}

/** Waits until every member says the cluster is healthy (a leader with a quorum behind it). */
async function waitHealthy(urls: string[], processes: Child[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const dead = processes.find((c) => c.process.exitCode !== null)
    if (dead !== undefined) throw new Error(`${dead.name} exited with ${dead.process.exitCode}`)
    const answers = await Promise.all(urls.map(healthy))
    if (answers.every(Boolean)) return
    if (Date.now() > deadline) throw new Error(`the etcd members did not become healthy within ${timeoutMs} ms`)
    await sleep(100)
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })
    return res.ok && ((await res.json()) as { health?: string }).health === 'true'
  } catch {
    return false
  }
}
