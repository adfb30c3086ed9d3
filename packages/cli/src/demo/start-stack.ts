import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { GATEWAY_NODE_FLAGS } from '@vault-dr/gateway/node-flags'
import { type Child, spawnNode, waitHealthy } from './child-processes.ts'
import { dataDir, repoRoot } from './demo-paths.ts'
import { pickPort } from './free-address.ts'
import { privateDir } from './private-files.ts'
import { writeSecretFile } from './secrets.ts'
import { type DemoCluster, SOURCE, startPair } from './start-pair.ts'

export interface Stack {
  children: Child[]
  gatewayUrl: string
  apiTokenFile: string
  /** The gateway's read-only token (VAULT_DR_READ_TOKEN_FILE), for the status page. */
  readTokenFile: string
  apiToken: string
  clusters: DemoCluster[]
  notes: string[]
  stop(): Promise<void>
}

/** Starts two emulated clusters, both agents and the gateway as separate processes, all on loopback. */
export async function startStack(): Promise<Stack> {
  rmSync(join(dataDir, 'gateway.sqlite'), { force: true })
  rmSync(join(dataDir, 'gateway.sqlite-wal'), { force: true })
  rmSync(join(dataDir, 'gateway.sqlite-shm'), { force: true })
  const logs = join(dataDir, 'logs')
  // Tokens are made anew each run: none of an earlier one is left behind.
  const secrets = join(dataDir, 'secrets')
  rmSync(secrets, { recursive: true, force: true })
  privateDir(dataDir)
  privateDir(logs)
  const children: Child[] = []
  const notes: string[] = []
  const stop = async () => {
    await Promise.all(children.reverse().map((c) => c.stop()))
  }
  try {
    const apiToken = writeSecretFile(dataDir, 'api-token')
    // The status page's token: it reads, and can start or cancel nothing.
    const readToken = writeSecretFile(dataDir, 'read-token')
    // The store's secrets sealed with a key of their own, as in production (not derived from the API token).
    const storeKey = writeSecretFile(dataDir, 'store-key')
    const clusters = await startPair(
      // The admin listeners let an operator lose a site (and bring it back) to try a failover against the stack.
      {
        primary: { host: '127.0.1.1', agentPort: 8410 },
        secondary: { host: '127.0.2.1', agentPort: 8420 },
        admin: true,
      },
      { logs, secrets, agentState: join(dataDir, 'agent-state') },
      children,
      notes,
    )
    const { port, wantedWasFree } = await pickPort('127.0.0.1', 8400)
    if (!wantedWasFree) notes.push(`port 8400 busy: the gateway listens on ${port}`)
    const gateway = spawnNode(
      'gateway',
      [SOURCE, ...GATEWAY_NODE_FLAGS, `${repoRoot}services/gateway/src/server.ts`],
      {
        VAULT_DR_PORT: String(port),
        VAULT_DR_API_TOKEN_FILE: apiToken.path,
        VAULT_DR_READ_TOKEN_FILE: readToken.path,
        VAULT_DR_STORE_KEY_FILE: storeKey.path,
        VAULT_DR_STORE: join(dataDir, 'gateway.sqlite'),
        VAULT_DR_LOG_LEVEL: 'info',
      },
      join(logs, 'gateway.log'),
    )
    children.push(gateway)
    const gatewayUrl = `http://127.0.0.1:${port}`
    await waitHealthy(gateway, `${gatewayUrl}/healthz`, 20_000)
    return {
      children,
      gatewayUrl,
      apiTokenFile: apiToken.path,
      apiToken: apiToken.value,
      readTokenFile: readToken.path,
      clusters,
      notes,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
