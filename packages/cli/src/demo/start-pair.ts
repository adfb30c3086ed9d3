import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { type Child, firstJsonLine, spawnNode, waitHealthy } from './child-processes.ts'
import { repoRoot } from './demo-paths.ts'
import { canListen, pickPort } from './free-address.ts'
import { writeSecretFile } from './secrets.ts'

export const SOURCE = '--conditions=@vault-dr/source'

export interface DemoCluster {
  name: string
  role: 'primary' | 'secondary'
  apiAddr: string
  agentUrl: string
  agentToken: string
  /** vault-sim's admin listener (faults, latency), when the layout asked for it. */
  adminUrl: string | undefined
}

/** Where each cluster of the pair listens: its own loopback address for Vault's ports, the agent's port on 127.0.0.1. */
export interface PairLayout {
  primary: { host: string; agentPort: number }
  secondary: { host: string; agentPort: number }
  /** Serve vault-sim's admin interface on an ephemeral loopback port. */
  admin?: boolean
}

export interface PairDirs {
  logs: string
  secrets: string
  /** Where each agent keeps its fencing epoch and fences: emptied first, as the gateway's store is new each run. */
  agentState: string
}

/** Where an emulated cluster listens: the real ports on its own loopback address when free, else other free ports. */
async function clusterAddresses(host: string): Promise<{ api: string; cluster: string; real: boolean }> {
  if ((await canListen(host, 8200)) && (await canListen(host, 8201))) {
    return { api: `${host}:8200`, cluster: `${host}:8201`, real: true }
  }
  return { api: '127.0.0.1:0', cluster: '127.0.0.1:0', real: false }
}

/**
 * Starts the two emulated clusters dc1 (primary) and dc2 (secondary), each with its agent, as separate processes.
 * Each started process is pushed on `children` at once, so the caller stops it even when a later one fails.
 */
export async function startPair(
  layout: PairLayout,
  dirs: PairDirs,
  children: Child[],
  notes: string[],
): Promise<DemoCluster[]> {
  const plan = [
    { name: 'dc1', role: 'primary' as const, ...layout.primary, service: 'primary-agent' },
    { name: 'dc2', role: 'secondary' as const, ...layout.secondary, service: 'secondary-agent' },
  ]
  const clusters: DemoCluster[] = []
  // One root token for both: activation wipes the secondary, whose data (tokens included) is the primary's from then
  // on, so its agent needs a token made on the primary, as in production; a shared one stays valid on either cluster
  // whatever role it has, for the switchovers, drills and failovers the demo invites.
  const root = writeSecretFile(dirs.secrets, 'vault-root-token')
  rmSync(dirs.agentState, { recursive: true, force: true })
  for (const c of plan) {
    const addrs = await clusterAddresses(c.host)
    if (!addrs.real) notes.push(`${c.host}:8200/8201 busy or unavailable: ${c.name} uses other free ports`)
    const admin = layout.admin === true ? ['--admin-addr', '127.0.0.1:0'] : []
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
        ...admin,
      ],
      { VAULT_SIM_ROOT_TOKEN: root.value },
      join(dirs.logs, `vault-sim-${c.name}.log`),
    )
    children.push(sim)
    const announced = await firstJsonLine(sim, 15_000)
    const apiAddr = announced.api_addr ?? ''
    const agentToken = writeSecretFile(dirs.secrets, `${c.name}-agent-token`)
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
        VAULT_DR_AGENT_STATE_DIR: join(dirs.agentState, c.name),
        VAULT_DR_LOG_LEVEL: 'info',
      },
      join(dirs.logs, `${c.service}.log`),
    )
    children.push(agent)
    const agentUrl = `http://127.0.0.1:${port}`
    await waitHealthy(agent, `${agentUrl}/healthz`, 20_000)
    clusters.push({
      name: c.name,
      role: c.role,
      apiAddr,
      agentUrl,
      agentToken: agentToken.value,
      adminUrl: announced.admin_addr,
    })
  }
  return clusters
}
