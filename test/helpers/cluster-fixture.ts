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
