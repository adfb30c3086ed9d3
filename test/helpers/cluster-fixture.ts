import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClusterHandle, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach } from 'vitest'

/**
 * Emulated clusters and temporary folders for one file's agent tests: each is closed after its test, the last made
 * first (an agent before the cluster it talks to). `prefix` names the folders.
 */
export function useClusterFixture(prefix: string) {
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  const fx = {
    /** Runs `close` after this test, before whatever was made earlier. */
    defer(close: () => Promise<unknown>): void {
      closers.push(close)
    },
    async cluster(name: string): Promise<ClusterHandle> {
      const c = await startCluster({ name, timings: testTimings })
      fx.defer(() => c.close())
      return c
    },
    async tempDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`))
      fx.defer(() => rm(dir, { recursive: true, force: true }))
      return dir
    },
    /** A state folder for an agent (VAULT_DR_AGENT_STATE_DIR), not made yet: the agent makes it. */
    async stateDir(): Promise<string> {
      return join(await fx.tempDir(), 'state')
    },
  }
  return fx
}

/** Polls `check` every 25 ms until it answers something other than undefined, null or false, and answers that. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== null && value !== false) return value as T
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Activates dc2's Vault directly as a DR secondary with `token` (minted on dc1), and waits until dc2 streams and dc1
 * lists it connected.
 */
export async function activateDirectly(dc1: ClusterHandle, dc2: ClusterHandle, token: string): Promise<void> {
  const res = await fetch(`${dc2.apiUrl}/v1/sys/replication/dr/secondary/enable`, {
    method: 'POST',
    headers: { 'x-vault-token': dc2.rootToken },
    body: JSON.stringify({ token }),
  })
  if (res.status >= 300) throw new Error(`dc2's activation answered ${res.status}: ${await res.text()}`)
  await until('dc2 to stream', () => dc2.state().drState === 'stream-wals')
  await until('dc1 to list dc2 connected', () =>
    ((dc1.state().drStatus as { secondaries?: Array<{ connection_status?: string }> }).secondaries ?? []).some(
      (s) => s.connection_status === 'connected',
    ),
  )
}

/** An agent's environment for `c`: its API token, the cluster's root token, no status cache, state kept in `dir`. */
export const agentEnv = (c: ClusterHandle, dir: string, apiToken: string): Record<string, string> => ({
  VAULT_DR_API_TOKEN: apiToken,
  VAULT_ADDR: c.apiUrl,
  VAULT_TOKEN: c.rootToken,
  VAULT_DR_STATUS_CACHE_MS: '0',
  VAULT_DR_WAIT_TIMEOUT_MS: '10000',
  VAULT_DR_AGENT_STATE_DIR: dir,
})
