import { LogCapture } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import { type ClusterHandle, type SimCompatOverrides, startCluster, testTimings } from '@vault-dr/vault-sim'
import type { AgentClients, PrimaryAgentClient } from '../../src/agents/agent-clients.ts'
import { makeAgentStateDirs } from './agent-state-dirs.ts'
import { PRIMARY_AGENT_TOKEN, SECONDARY_AGENT_TOKEN } from './gateway.ts'

const agentSettings = { statusCacheMs: 0, probeTimeoutMs: 1_000, waitTimeoutMs: 5_000 }
const api = (token: string) => ({ token, bodyLimit: 64 * 1024, logLevel: 'debug' })
const vault = (c: ClusterHandle) => ({
  addr: c.apiUrl,
  token: c.rootToken,
  caPem: c.apiCaPem,
  skipVerify: false,
  timeoutMs: 5_000,
})

/** Two emulated clusters and their real agents, for pairs; the primary agent issues tokens with `drTokenTtl`. */
export async function startPairsWorld(opts: { drTokenTtl?: string; compat?: SimCompatOverrides } = {}) {
  const closers: Array<() => Promise<void>> = []
  const stateDirs = makeAgentStateDirs()
  closers.push(stateDirs.remove)
  const cluster = async (name: string) => {
    const c = await startCluster({
      name,
      apiAddr: '127.0.0.1:0',
      clusterAddr: '127.0.0.1:0',
      timings: testTimings,
      compat: opts.compat,
    })
    closers.push(() => c.close())
    return c
  }
  const primary = await cluster('sim-dc1')
  const secondary = await cluster('sim-dc2')
  const agentLogs = new LogCapture()
  const primaryAgent = await buildPrimaryAgent(
    {
      listen: { host: '127.0.0.1', port: 0 },
      api: api(PRIMARY_AGENT_TOKEN),
      vault: vault(primary),
      agent: agentSettings,
      stateDir: stateDirs.primary,
      clusterAddr: undefined,
      ...(opts.drTokenTtl === undefined ? {} : { drOperationTokenTtl: opts.drTokenTtl }),
    },
    { logStream: agentLogs },
  )
  const secondaryAgent = await buildSecondaryAgent(
    {
      listen: { host: '127.0.0.1', port: 0 },
      api: api(SECONDARY_AGENT_TOKEN),
      vault: vault(secondary),
      agent: agentSettings,
      stateDir: stateDirs.secondary,
      primaryCaPem: primary.apiCaPem,
      activationCaFile: undefined,
    },
    { logStream: agentLogs },
  )
  const primaryUrl = await primaryAgent.listen({ host: '127.0.0.1', port: 0 })
  const secondaryUrl = await secondaryAgent.listen({ host: '127.0.0.1', port: 0 })
  closers.push(
    () => primaryAgent.close(),
    () => secondaryAgent.close(),
  )
  return {
    primary,
    secondary,
    primaryUrl,
    secondaryUrl,
    agentLogs,
    /** Stops the primary agent (its cluster keeps running): the gateway can no longer issue tokens. */
    stopPrimaryAgent: () => primaryAgent.close(),
    async close() {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {})
    },
  }
}
export type PairsWorld = Awaited<ReturnType<typeof startPairsWorld>>

/** Agent clients that keep every DR operation token the primary agent issued, for tests to search for. */
export function tokenRecordingClients(base: AgentClients) {
  const issued: string[] = []
  const clients: AgentClients = {
    primary(target) {
      const client = base.primary(target)
      const create = client.createDrOperationToken
      const wrapped: PrimaryAgentClient = { ...client }
      if (create !== undefined) {
        wrapped.createDrOperationToken = async (body, signal, opts) => {
          const made = await create(body, signal, opts)
          issued.push(made.token)
          return made
        }
      }
      return wrapped
    },
    secondary: (target) => base.secondary(target),
    close: () => base.close(),
  }
  return { clients, issued }
}
