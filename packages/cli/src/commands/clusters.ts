import { readFileSync } from 'node:fs'
import type { components } from '@vault-dr/gateway/openapi'
import { armedFence, clusterHealth } from '../cluster-health.ts'
import { CliError, ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, expectOk, type Output, table } from '../output.ts'

type ClusterView = components['schemas']['ClusterView']

/** The agent's token is read from the environment or a file, never from a flag. */
function agentTokenFromEnv(env: NodeJS.ProcessEnv): string {
  const file = env.VAULT_DR_AGENT_TOKEN_FILE
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      const detail = `cannot read VAULT_DR_AGENT_TOKEN_FILE ${file} (${code})`
      const fix =
        "Point VAULT_DR_AGENT_TOKEN_FILE at a file this user can read, holding the agent's VAULT_DR_API_TOKEN."
      throw new CliError({ code: 'CLI_ERR_AGENT_TOKEN', detail, fix }, ExitCode.usage)
    }
  }
  if (env.VAULT_DR_AGENT_TOKEN) return env.VAULT_DR_AGENT_TOKEN
  const detail = "the agent's token is not set"
  const fix = "Set VAULT_DR_AGENT_TOKEN_FILE (or VAULT_DR_AGENT_TOKEN) to the agent's own VAULT_DR_API_TOKEN."
  throw new CliError({ code: 'CLI_ERR_AGENT_TOKEN', detail, fix }, ExitCode.usage)
}

export async function addCluster(
  api: GatewayApi,
  out: Output,
  args: { name: string; role: 'primary' | 'secondary'; agentUrl: string },
  env: NodeJS.ProcessEnv,
) {
  const body = { name: args.name, role: args.role, agent_url: args.agentUrl, agent_token: agentTokenFromEnv(env) }
  const registered = expectData(await api.POST('/v1/clusters', { body }))
  // Registered either way; then asked through the gateway, so a wrong token or address shows now, not at preflight.
  const path = { name: registered.name }
  const cluster = withHealth(expectData(await api.GET('/v1/clusters/{name}', { params: { path } })))
  const exitCode = cluster.health.healthy ? ExitCode.ok : ExitCode.failed
  if (out.json) {
    out.out(JSON.stringify(cluster))
    return exitCode
  }
  const [vault, mode] = describeAgent(cluster)
  const where = `registered ${cluster.name} (${cluster.role}) at ${cluster.agent_url}`
  out.out(cluster.health.healthy ? `${where}: Vault ${vault}, DR mode ${mode}` : `${where}, but ${vault}`)
  if (cluster.health.fix) out.out(`fix: ${cluster.health.fix}`)
  if (cluster.agent_url_warning) out.err(`warning: ${cluster.agent_url_warning}`)
  return exitCode
}

export async function removeCluster(api: GatewayApi, out: Output, name: string, siteLost = false) {
  const query = siteLost ? { site_lost: 'true' as const } : {}
  expectOk(await api.DELETE('/v1/clusters/{name}', { params: { path: { name }, query } }))
  out.out(out.json ? JSON.stringify({ removed: name }) : `removed ${name}`)
  return ExitCode.ok
}

/** A cluster with its health, as --json shows it. */
const withHealth = (c: ClusterView) => ({ ...c, health: clusterHealth(c) })

export async function listClusters(api: GatewayApi, out: Output) {
  const { clusters } = expectData(await api.GET('/v1/clusters', { params: { query: { live: 'true' } } }))
  const views = clusters.map(withHealth)
  if (out.json) {
    out.out(JSON.stringify(views))
  } else {
    const rows = [['NAME', 'ROLE', 'AGENT', 'VAULT', 'DR MODE', 'STATE']]
    for (const c of views) rows.push([c.name, roleOf(c), c.agent_url, ...describeAgent(c)])
    out.out(table(rows))
    for (const c of views) if (c.health.fix) out.out(`fix (${c.name}): ${c.health.fix}`)
  }
  return views.every((c) => c.health.healthy) ? ExitCode.ok : ExitCode.failed
}

export async function clusterStatus(api: GatewayApi, out: Output, name: string) {
  const cluster = withHealth(expectData(await api.GET('/v1/clusters/{name}', { params: { path: { name } } })))
  const exitCode = cluster.health.healthy ? ExitCode.ok : ExitCode.failed
  if (out.json) {
    out.out(JSON.stringify(cluster))
    return exitCode
  }
  const [vault, mode, state] = describeAgent(cluster)
  out.out(`${cluster.name} (${roleOf(cluster)}) via ${cluster.agent_url}\n  vault: ${vault}\n  dr:    ${mode} ${state}`)
  if (cluster.agent_url_warning) out.out(`  warning: ${cluster.agent_url_warning}`)
  if (armedFence(cluster)) out.out(`  fence: ${cluster.health.problem}`)
  const replication = cluster.agent?.reachable ? cluster.agent.status.replication : null
  if (replication?.cluster_id) out.out(`  replication cluster id: ${replication.cluster_id}`)
  for (const s of replication?.secondaries ?? []) out.out(`  secondary ${s.node_id}: ${s.connection_status}`)
  // A secondary names the primary it follows (its API, else its cluster port), and its id there.
  for (const p of replication?.primaries ?? []) {
    const as = replication?.secondary_id ? ` as ${replication.secondary_id}` : ''
    out.out(`  primary ${p.api_address ?? p.cluster_address ?? '?'}${as}: ${p.connection_status ?? '?'}`)
  }
  if (replication?.last_remote_wal !== null && replication?.last_remote_wal !== undefined) {
    out.out(`  last_remote_wal: ${replication.last_remote_wal}`)
  }
  if (cluster.health.fix) out.out(`  fix: ${cluster.health.fix}`)
  return exitCode
}

/** The registered role, and "fenced" while a failover's fence holds it (the role changes at its rejoin). */
const roleOf = (c: ClusterView) => (armedFence(c) ? `${c.role} (fenced)` : c.role)

function describeAgent(c: ClusterView): [string, string, string] {
  const { agent } = c
  // A fence is said beside the table: the columns show what its agent reads.
  const health = clusterHealth({ ...c, fence: null })
  if (!agent) return ['-', '-', '-']
  if (!agent.reachable) return [health.problem ?? '-', '-', '-']
  const { vault, replication } = agent.status
  const shown = health.healthy ? `${vault.version ?? '?'} ${vault.ha_role}` : (health.problem ?? '-')
  const state = [replication?.state, replication?.connection_state].filter(Boolean).join('/')
  // A mode none of ours is shown as Vault reported it (e.g. "unknown (unsupported)"): that word is the diagnosis.
  const mode = replication?.reported_mode ? `${replication.mode} (${replication.reported_mode})` : replication?.mode
  return [shown, mode ?? '-', state || '-']
}
