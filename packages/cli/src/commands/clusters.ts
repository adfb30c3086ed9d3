import { readFileSync } from 'node:fs'
import type { components } from '@vault-dr/gateway/openapi'
import { CliError, ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, type Output, table } from '../output.ts'

type ClusterView = components['schemas']['ClusterView']

/** The agent's token is read from the environment or a file, never from a flag. */
function agentTokenFromEnv(env: NodeJS.ProcessEnv): string {
  const file = env.VAULT_DR_AGENT_TOKEN_FILE
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      throw new CliError(`error: cannot read VAULT_DR_AGENT_TOKEN_FILE ${file} (${code})`, ExitCode.usage)
    }
  }
  if (env.VAULT_DR_AGENT_TOKEN) return env.VAULT_DR_AGENT_TOKEN
  throw new CliError(
    'error: set VAULT_DR_AGENT_TOKEN or VAULT_DR_AGENT_TOKEN_FILE to the agent API token',
    ExitCode.usage,
  )
}

export async function addCluster(
  api: GatewayApi,
  out: Output,
  args: { name: string; role: 'primary' | 'secondary'; agentUrl: string },
  env: NodeJS.ProcessEnv,
) {
  const body = { name: args.name, role: args.role, agent_url: args.agentUrl, agent_token: agentTokenFromEnv(env) }
  const cluster = expectData(await api.POST('/v1/clusters', { body }))
  out.out(out.json ? JSON.stringify(cluster) : `registered ${cluster.name} (${cluster.role}) at ${cluster.agent_url}`)
  return ExitCode.ok
}

export async function listClusters(api: GatewayApi, out: Output) {
  const { clusters } = expectData(await api.GET('/v1/clusters', { params: { query: { live: 'true' } } }))
  if (out.json) {
    out.out(JSON.stringify(clusters))
    return ExitCode.ok
  }
  const rows = [['NAME', 'ROLE', 'AGENT', 'VAULT', 'DR MODE', 'STATE']]
  for (const c of clusters) rows.push([c.name, c.role, c.agent_url, ...describeAgent(c.agent)])
  out.out(table(rows))
  return ExitCode.ok
}

export async function clusterStatus(api: GatewayApi, out: Output, name: string) {
  const cluster = expectData(await api.GET('/v1/clusters/{name}', { params: { path: { name } } }))
  if (out.json) {
    out.out(JSON.stringify(cluster))
    return ExitCode.ok
  }
  const [vault, mode, state] = describeAgent(cluster.agent)
  out.out(`${cluster.name} (${cluster.role}) via ${cluster.agent_url}\n  vault: ${vault}\n  dr:    ${mode} ${state}`)
  const replication = cluster.agent?.reachable ? cluster.agent.status.replication : null
  if (replication?.cluster_id) out.out(`  replication cluster id: ${replication.cluster_id}`)
  for (const s of replication?.secondaries ?? []) out.out(`  secondary ${s.node_id}: ${s.connection_status}`)
  if (replication?.last_remote_wal !== null && replication?.last_remote_wal !== undefined) {
    out.out(`  last_remote_wal: ${replication.last_remote_wal}`)
  }
  return ExitCode.ok
}

function describeAgent(agent: ClusterView['agent']): [string, string, string] {
  if (!agent) return ['-', '-', '-']
  if (!agent.reachable) return [`agent unreachable (${agent.error.code})`, '-', '-']
  const { vault, replication } = agent.status
  const health = !vault.reachable ? 'unreachable' : vault.sealed ? 'sealed' : `${vault.version ?? '?'} ${vault.ha_role}`
  const state = [replication?.state, replication?.connection_state].filter(Boolean).join('/')
  // A mode none of ours is shown as Vault reported it (e.g. "unknown (unsupported)"): that word is the diagnosis.
  const mode = replication?.reported_mode ? `${replication.mode} (${replication.reported_mode})` : replication?.mode
  return [health, mode ?? '-', state || '-']
}
