import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { buildApp as buildPrimaryAgent, type PrimaryAgentConfig } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent, type SecondaryAgentConfig } from '@vault-dr/secondary-agent'
import { type ClusterHandle, type StartClusterOptions, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach, beforeEach } from 'vitest'
import { type AgentClients, createAgentClients } from '../../src/agents/agent-clients.ts'
import { makeAgentStateDirs } from './agent-state-dirs.ts'
import { LogCapture, PRIMARY_AGENT_TOKEN, SECONDARY_AGENT_TOKEN, startGateway, tempDir } from './gateway.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>

export const fastTimings = testTimings

const agentSettings = { statusCacheMs: 0, probeTimeoutMs: 1_000, waitTimeoutMs: 5_000 }
const api = (token: string) => ({ token, bodyLimit: 64 * 1024, logLevel: 'info' })
const vault = (c: ClusterHandle) => ({
  addr: c.apiUrl,
  token: c.rootToken,
  caPem: c.apiCaPem,
  skipVerify: false,
  timeoutMs: 5_000,
})

export interface SimWorldOptions {
  primary?: StartClusterOptions
  secondary?: StartClusterOptions
  /** Give the primary agent its own listener as VAULT_DR_CLUSTER_ADDR (cluster_addr may point at a proxy). */
  primaryAgentProbesOwnListener?: boolean
}

/** Two emulated Vault Enterprise clusters, each with its real agent listening on 127.0.0.1. */
export async function startSimWorld(opts: SimWorldOptions = {}) {
  const events: string[] = []
  const closers: Array<() => Promise<void>> = []
  const stateDirs = makeAgentStateDirs()
  const cluster = async (name: string, extra: StartClusterOptions = {}) => {
    const c = await startCluster({
      name,
      apiAddr: '127.0.0.1:0',
      clusterAddr: '127.0.0.1:0',
      timings: fastTimings,
      logger: (line) => events.push(line),
      ...extra,
    })
    closers.push(() => c.close())
    return c
  }
  const primary = await cluster('sim-dc1', opts.primary)
  const secondary = await cluster('sim-dc2', opts.secondary)
  const agentLogs = new LogCapture()
  const primaryConfig: PrimaryAgentConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    api: api(PRIMARY_AGENT_TOKEN),
    vault: vault(primary),
    agent: agentSettings,
    stateDir: stateDirs.primary,
    clusterAddr: opts.primaryAgentProbesOwnListener ? primary.clusterUrl : undefined,
  }
  const secondaryConfig: SecondaryAgentConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    api: api(SECONDARY_AGENT_TOKEN),
    vault: vault(secondary),
    agent: agentSettings,
    stateDir: stateDirs.secondary,
    primaryCaPem: primary.apiCaPem,
    activationCaFile: undefined,
  }
  const primaryAgent = await buildPrimaryAgent(primaryConfig, { logStream: agentLogs })
  const secondaryAgent = await buildSecondaryAgent(secondaryConfig, { logStream: agentLogs })
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
    /** Lines the emulators logged, e.g. "[sim-dc2] dr: enabled as secondary dc2". */
    count: (pattern: RegExp) => events.filter((line) => pattern.test(line)).length,
    async close() {
      await Promise.allSettled(
        closers
          .splice(0)
          .reverse()
          .map((close) => close()),
      )
      // Once the agents are closed: none writes its epoch into a folder removed under it.
      await stateDirs.remove()
    },
  }
}
export type SimWorld = Awaited<ReturnType<typeof startSimWorld>>

/**
 * Agent clients that record every activation token minted (so tests can search for them) and let a test replace
 * one call, e.g. to stop the gateway right after the agent did the work.
 */
export function recordingClients(base: AgentClients) {
  const minted: string[] = []
  const intercept: Partial<Record<string, (next: () => Promise<unknown>) => Promise<unknown>>> = {}
  const wrap = <T extends object>(role: string, client: T): T =>
    new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          const next = async () => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
            if (role === 'primary' && prop === 'mintToken') minted.push((result as { token: string }).token)
            return result
          }
          const hook = intercept[`${role}.${String(prop)}`]
          return hook === undefined ? next() : hook(next)
        }
      },
    })
  const clients: AgentClients = {
    primary: (target) => wrap('primary', base.primary(target)),
    secondary: (target) => wrap('secondary', base.secondary(target)),
    close: () => base.close(),
  }
  return { clients, minted, intercept }
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Per test: a temporary store path, real agent clients that record what they mint, and cleanup of every gateway,
 * sim world and closer the test started (in that order). `gateway()` starts a gateway on the store with those clients.
 */
export function useSimWorldFixture() {
  const fx = {
    dir: '',
    path: '',
    rec: undefined as unknown as ReturnType<typeof recordingClients>,
    gateways: [] as Gateway[],
    closers: [] as Array<() => Promise<void>>,
    worlds: [] as SimWorld[],
    async world(opts: SimWorldOptions = {}): Promise<SimWorld> {
      const world = await startSimWorld(opts)
      fx.worlds.push(world)
      return world
    },
    async gateway(deps: Parameters<typeof startGateway>[1] = {}, env: Record<string, string> = {}) {
      const gw = await startGateway(fx.path, { agents: fx.rec.clients, ...deps }, env)
      fx.gateways.push(gw)
      return gw
    },
  }
  let cleanup = () => {}
  beforeEach(() => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    fx.dir = tmp.dir
    fx.path = join(tmp.dir, 'gateway.sqlite')
    fx.rec = recordingClients(createAgentClients({ timeoutMs: 10_000 }))
  })
  afterEach(async () => {
    for (const gw of fx.gateways.splice(0)) await gw.app.close()
    await fx.rec.clients.close()
    for (const world of fx.worlds.splice(0)) await world.close()
    for (const close of fx.closers.splice(0)) await close()
    cleanup()
  })
  return fx
}
