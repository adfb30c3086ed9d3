import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { GATEWAY_NODE_FLAGS } from '@vault-dr/gateway/node-flags'
import { type Child, firstJsonLine, spawnNode, waitHealthy } from './child-processes.ts'
import { dataDir, repoRoot } from './demo-paths.ts'
import { canListen, pickPort } from './free-address.ts'
import { privateDir } from './private-files.ts'
import { writeSecretFile } from './secrets.ts'

export interface Stack {
  children: Child[]
  gatewayUrl: string
  apiTokenFile: string
  apiToken: string
  clusters: Array<{
    name: string
    role: 'primary' | 'secondary'
    apiAddr: string
    agentUrl: string
    agentToken: string
  }>
  notes: string[]
  stop(): Promise<void>
}

const SOURCE = '--conditions=@vault-dr/source'

/** Where an emulated cluster listens: the real ports on its own loopback address when free, else ephemeral ports. */
async function clusterAddresses(host: string): Promise<{ api: string; cluster: string; real: boolean }> {
  if ((await canListen(host, 8200)) && (await canListen(host, 8201))) {
    return { api: `${host}:8200`, cluster: `${host}:8201`, real: true }
  }
  return { api: '127.0.0.1:0', cluster: '127.0.0.1:0', real: false }
}

/** Starts two emulated clusters, both agents and the gateway as separate processes, all on loopback. */
export async function startStack(): Promise<Stack> {
  rmSync(join(dataDir, 'gateway.sqlite'), { force: true })
  rmSync(join(dataDir, 'gateway.sqlite-wal'), { force: true })
  rmSync(join(dataDir, 'gateway.sqlite-shm'), { force: true })
  const logs = join(dataDir, 'logs')
  const secrets = join(dataDir, 'secrets')
  privateDir(dataDir)
  privateDir(logs)
  const children: Child[] = []
  const notes: string[] = []
  const stop = async () => {
    await Promise.all(children.reverse().map((c) => c.stop()))
  }
  try {
    const apiToken = writeSecretFile(dataDir, 'api-token')
    const clusters: Stack['clusters'] = []
    const plan = [
      { name: 'dc1', role: 'primary' as const, host: '127.0.1.1', agentPort: 8410, service: 'primary-agent' },
      { name: 'dc2', role: 'secondary' as const, host: '127.0.2.1', agentPort: 8420, service: 'secondary-agent' },
    ]
    for (const c of plan) {
      const addrs = await clusterAddresses(c.host)
      if (!addrs.real) notes.push(`${c.host}:8200/8201 busy or unavailable: ${c.name} uses ephemeral ports`)
      const root = writeSecretFile(secrets, `${c.name}-vault-root-token`)
      const sim = spawnNode(
        `vault-sim ${c.name}`,
        [
          `${repoRoot}packages/vault-sim/bin/vault-sim.js`,
          '--name',
          c.name,
          '--api-addr',
          addrs.api,
          '--cluster-addr',
          addrs.cluster,
        ],
        { VAULT_SIM_ROOT_TOKEN: root.value },
        join(logs, `vault-sim-${c.name}.log`),
      )
      children.push(sim)
      const announced = await firstJsonLine(sim, 15_000)
      const apiAddr = announced.api_addr ?? ''
      const agentToken = writeSecretFile(secrets, `${c.name}-agent-token`)
      const { port, wantedWasFree } = await pickPort('127.0.0.1', c.agentPort)
      if (!wantedWasFree) notes.push(`port ${c.agentPort} busy: the ${c.service} of ${c.name} listens on ${port}`)
      const agent = spawnNode(
        c.service,
        [SOURCE, `${repoRoot}services/${c.service}/src/server.ts`],
        {
          VAULT_DR_PORT: String(port),
          VAULT_DR_API_TOKEN_FILE: agentToken.path,
          VAULT_ADDR: apiAddr,
          VAULT_TOKEN_FILE: root.path,
          VAULT_DR_LOG_LEVEL: 'info',
        },
        join(logs, `${c.service}.log`),
      )
      children.push(agent)
      const agentUrl = `http://127.0.0.1:${port}`
      await waitHealthy(agent, `${agentUrl}/healthz`, 20_000)
      clusters.push({ name: c.name, role: c.role, apiAddr, agentUrl, agentToken: agentToken.value })
    }
    const { port, wantedWasFree } = await pickPort('127.0.0.1', 8400)
    if (!wantedWasFree) notes.push(`port 8400 busy: the gateway listens on ${port}`)
    const gateway = spawnNode(
      'gateway',
      [SOURCE, ...GATEWAY_NODE_FLAGS, `${repoRoot}services/gateway/src/server.ts`],
      {
        VAULT_DR_PORT: String(port),
        VAULT_DR_API_TOKEN_FILE: apiToken.path,
        VAULT_DR_STORE: join(dataDir, 'gateway.sqlite'),
        VAULT_DR_LOG_LEVEL: 'info',
      },
      join(logs, 'gateway.log'),
    )
    children.push(gateway)
    const gatewayUrl = `http://127.0.0.1:${port}`
    await waitHealthy(gateway, `${gatewayUrl}/healthz`, 20_000)
    return { children, gatewayUrl, apiTokenFile: apiToken.path, apiToken: apiToken.value, clusters, notes, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
