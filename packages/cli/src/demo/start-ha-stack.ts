import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { GATEWAY_NODE_FLAGS } from '@vault-dr/gateway/node-flags'
import { type Child, spawnNode, waitHealthy } from './child-processes.ts'
import { dataDir, repoRoot } from './demo-paths.ts'
import { type EtcdMembers, startEtcdMembers } from './etcd-members.ts'
import { pickPort } from './free-address.ts'
import { privateDir } from './private-files.ts'
import { writeSecretFile } from './secrets.ts'
import { type DemoCluster, SOURCE, startPair } from './start-pair.ts'

/** The HA demo's folder, beside (not inside the files of) `npm start`'s: its etcd data, tokens and logs. */
export const haDataDir = join(dataDir, 'ha')

/** How long a gateway's claim on a running handshake lasts unrenewed: short, so the takeover shows quickly. */
export const HA_LEASE_MS = 3_000

export interface HaGateway {
  name: 'site-a' | 'site-b'
  url: string
  child: Child
}

export interface HaStack {
  etcd: EtcdMembers
  clusters: DemoCluster[]
  gateways: HaGateway[]
  apiToken: string
  apiTokenFile: string
  logs: string
  notes: string[]
}

/**
 * Three etcd members, the pair (dc1, dc2) with their agents, and two gateways (site-a on 8401, site-b on 8402) on
 * those members, all on loopback and apart from `npm start`'s addresses (127.0.1.1, 127.0.2.1, ports 8400-8420).
 * Each process is pushed on `children` as it starts: the caller stops them (`stopChildren`), also after a failure.
 */
export async function startHaStack(children: Child[]): Promise<HaStack> {
  const logs = join(haDataDir, 'logs')
  const secrets = join(haDataDir, 'secrets')
  rmSync(secrets, { recursive: true, force: true })
  privateDir(haDataDir)
  privateDir(logs)
  const notes: string[] = []
  const etcd = await startEtcdMembers(join(haDataDir, 'etcd'), logs, children, notes)
  const apiToken = writeSecretFile(haDataDir, 'api-token')
  // Shared by both gateways: each opens what the other sealed in the store.
  const storeKey = writeSecretFile(haDataDir, 'store-key')
  const clusters = await startPair(
    {
      primary: { host: '127.0.4.1', agentPort: 8411 },
      secondary: { host: '127.0.5.1', agentPort: 8421 },
      admin: true,
    },
    { logs, secrets, agentState: join(haDataDir, 'agent-state') },
    children,
    notes,
  )
  const gateways: HaGateway[] = []
  for (const [name, wanted] of [
    ['site-a', 8401],
    ['site-b', 8402],
  ] as const) {
    const { port, wantedWasFree } = await pickPort('127.0.0.1', wanted)
    if (!wantedWasFree) notes.push(`port ${wanted} busy: gateway ${name} listens on ${port}`)
    const child = spawnNode(
      `gateway ${name}`,
      [SOURCE, ...GATEWAY_NODE_FLAGS, `${repoRoot}services/gateway/src/server.ts`],
      {
        VAULT_DR_PORT: String(port),
        VAULT_DR_API_TOKEN_FILE: apiToken.path,
        VAULT_DR_STORE_KEY_FILE: storeKey.path,
        VAULT_DR_STORE: etcd.storeUrl,
        VAULT_DR_GATEWAY_ID: name,
        VAULT_DR_LEASE_MS: String(HA_LEASE_MS),
        VAULT_DR_LOG_LEVEL: 'info',
      },
      join(logs, `gateway-${name}.log`),
    )
    children.push(child)
    const url = `http://127.0.0.1:${port}`
    await waitHealthy(child, `${url}/healthz`, 20_000)
    gateways.push({ name, url, child })
  }
  return { etcd, clusters, gateways, apiToken: apiToken.value, apiTokenFile: apiToken.path, logs, notes }
}
