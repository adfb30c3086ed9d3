import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogCapture, pollUntil, VaultClient } from '@vault-dr/core'
import { type ClusterHandle, type StartClusterOptions, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach } from 'vitest'
import { buildApp } from '../../src/app.ts'
import type { SecondaryAgentConfig } from '../../src/config.ts'
import { type OverrideAnswer, startVaultPathOverride } from './vault-path-override.ts'

export const API_TOKEN = 'secondary-agent-test-api-token-4f1c9e'
export const AUTH = { authorization: `Bearer ${API_TOKEN}` }

export const fastTimings = testTimings

export { LogCapture }

export type Agent = Awaited<ReturnType<typeof buildApp>>

export interface AgentOptions {
  probeTimeoutMs?: number
  statusCacheMs?: number
  primaryCaPem?: string | undefined
  activationCaFile?: string
  bodyLimit?: number
  vaultTimeoutMs?: number
  waitTimeoutMs?: number
  /** The agent's Vault token; default the cluster's own root token. */
  vaultToken?: string
}

/** Clusters and agents for one test file; whatever a test started is closed after it. */
export function useHarness() {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  return {
    async cluster(options: StartClusterOptions = {}): Promise<ClusterHandle> {
      const cluster = await startCluster({ timings: fastTimings, ...options })
      closers.push(() => cluster.close())
      return cluster
    },
    /** The secondary agent in front of `cluster`, with its logs captured. */
    async agent(cluster: ClusterHandle, options: AgentOptions = {}): Promise<{ app: Agent; logs: LogCapture }> {
      const logs = new LogCapture()
      // Its own state folder (the fencing epoch it has seen), not one in the working directory every test would share.
      const stateDir = mkdtempSync(join(tmpdir(), 'vault-dr-secondary-agent-state-'))
      const config: SecondaryAgentConfig = {
        stateDir,
        listen: { host: '127.0.0.1', port: 0 },
        api: { token: API_TOKEN, bodyLimit: options.bodyLimit ?? 64 * 1024, logLevel: 'debug' },
        vault: {
          addr: cluster.apiUrl,
          token: options.vaultToken ?? cluster.rootToken,
          caPem: cluster.apiCaPem,
          skipVerify: false,
          timeoutMs: options.vaultTimeoutMs ?? 5_000,
        },
        agent: {
          statusCacheMs: options.statusCacheMs ?? 0,
          probeTimeoutMs: options.probeTimeoutMs ?? 1_000,
          waitTimeoutMs: options.waitTimeoutMs ?? 5_000,
        },
        primaryCaPem: options.primaryCaPem,
        activationCaFile: options.activationCaFile,
      }
      const app = await buildApp(config, { logStream: logs })
      // The folder goes once the agent is closed: none writes its epoch into a folder removed under it.
      closers.push(() => app.close().finally(() => rm(stateDir, { recursive: true, force: true })))
      return { app, logs }
    },
    /** Runs `close` after the test, e.g. for a proxy. */
    defer(close: () => Promise<void>) {
      closers.push(close)
    },
    /**
     * A primary and a secondary streaming from it, the agent in front of the secondary; through `override`, when
     * given, Vault's answer to one call is the one given (a Vault that does not serve it, or echoes a secret).
     */
    async streamingPair(override?: {
      route: { method: string; path: string }
      answer: OverrideAnswer
    }): Promise<{ primary: ClusterHandle; secondary: ClusterHandle; app: Agent; logs: LogCapture }> {
      const primary = await this.cluster()
      await enablePrimary(primary)
      const secondary = await this.cluster()
      let front = secondary
      if (override !== undefined) {
        const hop = await startVaultPathOverride(secondary.apiUrl, override.route, override.answer)
        closers.push(hop.close)
        front = { ...secondary, apiUrl: hop.url }
      }
      const { app, logs } = await this.agent(front)
      await activateStreaming(app, primary, secondary)
      return { primary, secondary, app, logs }
    },
  }
}

/** One Vault call against a sim cluster as its root token, over its own CA when it serves TLS. */
async function withVault<T>(cluster: ClusterHandle, fn: (vault: VaultClient) => Promise<T>): Promise<T> {
  const vault = new VaultClient({ addr: cluster.apiUrl, token: cluster.rootToken, caPem: cluster.apiCaPem, retries: 0 })
  try {
    return await fn(vault)
  } finally {
    await vault.close()
  }
}

/** POST /v1/dr/secondary/activate on `app` with `payload` (no confirm_wipe added: tests of its refusal need it left out). */
export function activate(app: Agent, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/dr/secondary/activate', headers: AUTH, payload })
}

/** `secondary` activated through its agent `app` with a token `primary` minted for `id`, and streaming WALs. */
export async function activateStreaming(app: Agent, primary: ClusterHandle, secondary: ClusterHandle, id = 'dc2') {
  const activation = await activate(app, { token: await mintToken(primary, id), confirm_wipe: true })
  if (activation.statusCode !== 200) throw new Error(`activation answered ${activation.statusCode}: ${activation.body}`)
  await waitFor(`${secondary.name} to stream`, async () =>
    (await drStatus(secondary)).state === 'stream-wals' ? true : undefined,
  )
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const value = await pollUntil(check, { timeoutMs, intervalMs: 25 })
  if (value === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
  return value
}

const HEALTH_ANSWERS = [429, 472, 473, 501, 503]

export function health(cluster: ClusterHandle) {
  return withVault(cluster, (v) => v.read('sys/health', { token: null, accept: HEALTH_ANSWERS }))
}

export async function drStatus(cluster: ClusterHandle): Promise<Record<string, unknown>> {
  const res = await withVault(cluster, (v) => v.read('sys/replication/dr/status', { token: null }))
  return res.body?.data ?? {}
}

/** Enables DR primary and waits out the brief unavailability that follows. */
export async function enablePrimary(cluster: ClusterHandle): Promise<void> {
  await withVault(cluster, (v) => v.write('sys/replication/dr/primary/enable'))
  await waitFor(`${cluster.name} active as DR primary`, async () => {
    const res = await health(cluster)
    const body = res.body as Record<string, unknown> | undefined
    return res.status === 200 && body?.replication_dr_mode === 'primary' ? true : undefined
  })
}

/** Mints an activation token for `id` (the JWT in wrap_info.token). */
export async function mintToken(cluster: ClusterHandle, id: string, ttl?: string): Promise<string> {
  const res = await withVault(cluster, (v) =>
    v.write('sys/replication/dr/primary/secondary-token', { id, ...(ttl === undefined ? {} : { ttl }) }),
  )
  const token = res.body?.wrap_info?.token
  if (token === undefined) throw new Error('secondary-token answered without wrap_info')
  return token
}

/** Consumes a wrapping token the way a first activation would: as the client token of the unwrap, nothing else. */
export async function unwrap(cluster: ClusterHandle, token: string): Promise<void> {
  await withVault(cluster, (v) => v.write('sys/wrapping/unwrap', {}, { token }))
}

/** The metric sample `name{labels}` from a Prometheus exposition, 0 when absent. */
export function metricValue(exposition: string, name: string, labels: Record<string, string>): number {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const labelText = line.slice(name.length + 1, line.indexOf('}'))
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1))
    }
  }
  return 0
}
