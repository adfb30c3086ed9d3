import { afterEach } from 'vitest'
import {
  type ClusterHandle,
  defaultTimings,
  type StartClusterOptions,
  startCluster,
  testTimings,
} from '../../src/index.ts'
import { type VaultBody, vault, waitFor } from './vault-http.ts'

// The emulator's own unwrap and dial timeouts stay at their defaults here: some tests measure them.
export const fastTimings = {
  ...testTimings,
  unwrapTimeoutMs: defaultTimings.unwrapTimeoutMs,
  dialTimeoutMs: defaultTimings.dialTimeoutMs,
}

/** Starts clusters on free loopback ports and closes them after each test. */
export function useClusters() {
  const started: ClusterHandle[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.close()))
  })
  return async (options: StartClusterOptions = {}) => {
    const cluster = await startCluster({ timings: fastTimings, ...options })
    started.push(cluster)
    return cluster
  }
}

export type DrStatusData = Record<string, unknown> & {
  mode: string
  state?: string
  cluster_id?: string
  merkle_root?: string
  known_secondaries?: string[]
  secondaries?: Array<Record<string, string>>
  primaries?: Array<Record<string, string>>
  last_wal?: number
  last_remote_wal?: number
  connection_state?: string
}

const NO_ACTIVE_NODE = 'local node not active but active cluster node not found'

/** The DR status, read as a poller would: the brief period with no active node after a role change is waited out. */
export async function drStatus(cluster: ClusterHandle): Promise<DrStatusData> {
  const read = () =>
    vault('GET', `${cluster.apiUrl}/v1/sys/replication/dr/status`, {
      caPem: cluster.apiCaPem,
    })
  const { status, body } = await waitFor(read, (r) => r.status !== 500 || !body500IsNoActiveNode(r.body), {
    what: `an active node on ${cluster.name} to read its DR status`,
  })
  if (status !== 200) throw new Error(`dr status ${status}: ${JSON.stringify(body)}`)
  return body.data as DrStatusData
}

function body500IsNoActiveNode(body: VaultBody): boolean {
  return (body.errors ?? []).includes(NO_ACTIVE_NODE)
}

/** Waits out the brief unavailability after a role change: sys/health answers `code`. */
export function waitForHealth(cluster: ClusterHandle, code: number) {
  return waitFor(
    () => vault('GET', `${cluster.apiUrl}/v1/sys/health`, { caPem: cluster.apiCaPem }),
    (r) => r.status === code,
    { what: `sys/health ${code} on ${cluster.name}` },
  )
}

/** Waits out the brief period with no active node after a role change: sys/leader names this node again (D5). */
export function waitForActive(cluster: ClusterHandle) {
  return waitFor(
    () => vault('GET', `${cluster.apiUrl}/v1/sys/leader`, { caPem: cluster.apiCaPem }),
    (r) => r.status === 200 && r.body.is_self === true,
    { what: `an active node on ${cluster.name}` },
  )
}

export async function enablePrimary(primary: ClusterHandle): Promise<void> {
  const r = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/enable`, {
    token: primary.rootToken,
    caPem: primary.apiCaPem,
  })
  if (r.status !== 200) throw new Error(`primary/enable ${r.status}: ${r.text}`)
  await waitForHealth(primary, 200)
}

export async function secondaryToken(primary: ClusterHandle, id: string, ttl?: string): Promise<string> {
  const r = await vault('POST', `${primary.apiUrl}/v1/sys/replication/dr/primary/secondary-token`, {
    token: primary.rootToken,
    body: { id, ...(ttl && { ttl }) },
    caPem: primary.apiCaPem,
  })
  if (r.status !== 200 || !r.body.wrap_info) throw new Error(`secondary-token ${r.status}: ${r.text}`)
  return r.body.wrap_info.token
}

export function enableSecondary(secondary: ClusterHandle, body: Record<string, unknown>) {
  return vault('POST', `${secondary.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
    token: secondary.rootToken,
    body,
    caPem: secondary.apiCaPem,
  })
}

/** Primary enabled, `id` activated, and the secondary streaming WALs. */
export async function replicate(primary: ClusterHandle, secondary: ClusterHandle, id = 'dc2', extra = {}) {
  await enablePrimary(primary)
  const token = await secondaryToken(primary, id)
  const activation = await enableSecondary(secondary, { token, ...extra })
  if (activation.status !== 200) throw new Error(`secondary/enable ${activation.status}: ${activation.text}`)
  await waitForStreaming(secondary)
}

export function waitForStreaming(secondary: ClusterHandle) {
  return waitFor(
    () => drStatus(secondary),
    (s) => s.state === 'stream-wals' && s.connection_state === 'ready',
    { what: `${secondary.name} streaming WALs` },
  )
}

/** Until the secondary holds every WAL the primary wrote (a token minted there, its policy with it, is usable on it). */
export function waitForCaughtUp(primary: ClusterHandle, secondary: ClusterHandle) {
  return waitFor(
    async () => ({ wanted: primary.state().lastWal, had: secondary.state().lastWal }),
    ({ wanted, had }) => had === wanted,
    { what: `${secondary.name} to catch up with ${primary.name}` },
  )
}

export function errorsOf(body: VaultBody): string[] {
  return body.errors ?? []
}
