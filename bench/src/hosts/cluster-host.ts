/**
 * A helper child process holding many emulated clusters, and optionally a secondary agent (buildApp + listen) per
 * cluster, so the fleet benchmark can run hundreds of them outside the gateway's process. Driven over the IPC
 * channel only: the root and agent tokens it makes go back over IPC, never through argv or the environment.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { buildApp as buildSecondaryAgent, type SecondaryAgentConfig } from '@vault-dr/secondary-agent'
import { type ClusterHandle, type SimTimings, startCluster } from '@vault-dr/vault-sim'
import { pool } from '../lib/pool.ts'
import type { HostReply, HostRequest, SecondaryInfo, SimInfo, StateCounts } from './host-protocol.ts'

type AgentApp = Awaited<ReturnType<typeof buildSecondaryAgent>>

interface Member {
  sim: ClusterHandle
  agent?: AgentApp
}

const groups = new Map<string, Member[]>()
const send = (reply: HostReply) => process.send?.(reply)

function simInfo(sim: ClusterHandle): SimInfo {
  return { name: sim.name, apiUrl: sim.apiUrl, clusterUrl: sim.clusterUrl, rootToken: sim.rootToken }
}

async function startSim(
  name: string,
  host: string,
  timings: Partial<SimTimings>,
  fixed?: { apiAddr: string; clusterAddr: string; rootToken: string },
): Promise<ClusterHandle> {
  return startCluster({
    name,
    apiAddr: fixed?.apiAddr ?? `${host}:0`,
    clusterAddr: fixed?.clusterAddr ?? `${host}:0`,
    rootToken: fixed?.rootToken ?? `hvs.${randomBytes(18).toString('base64url')}`,
    timings,
  })
}

function group(name: string): Member[] {
  let members = groups.get(name)
  if (members === undefined) {
    members = []
    groups.set(name, members)
  }
  return members
}

async function handle(req: HostRequest): Promise<unknown> {
  switch (req.type) {
    case 'sims': {
      const names = Array.from({ length: req.count }, (_, i) => `${req.group}-${req.offset + i}`)
      const sims = await pool(names, 4, (name) =>
        startSim(name, req.host, req.timings, req.fixed?.[names.indexOf(name)]),
      )
      group(req.group).push(...sims.map((sim) => ({ sim })))
      return sims.map(simInfo)
    }
    case 'secondaries': {
      const names = Array.from({ length: req.count }, (_, i) => `${req.group}-${req.offset + i}`)
      const members = await pool(names, 4, async (name): Promise<Member & { info: SecondaryInfo }> => {
        const sim = await startSim(name, req.host, req.timings)
        const agentToken = randomBytes(24).toString('base64url')
        const config: SecondaryAgentConfig = {
          listen: { host: req.host, port: 0 },
          api: { token: agentToken, bodyLimit: 64 * 1024, logLevel: req.agent.logLevel },
          vault: { addr: sim.apiUrl, token: sim.rootToken, skipVerify: false, timeoutMs: 10_000 },
          agent: {
            statusCacheMs: req.agent.statusCacheMs,
            probeTimeoutMs: req.agent.probeTimeoutMs,
            waitTimeoutMs: req.agent.waitTimeoutMs,
          },
          primaryCaPem: undefined,
          activationCaFile: undefined,
          stateDir: join(req.stateDir, name),
        }
        const agent = await buildSecondaryAgent(config)
        const agentUrl = await agent.listen({ host: req.host, port: 0 })
        return { sim, agent, info: { ...simInfo(sim), agentUrl, agentToken } }
      })
      group(req.group).push(...members.map(({ sim, agent }) => ({ sim, ...(agent ? { agent } : {}) })))
      return members.map((m) => m.info)
    }
    case 'states': {
      const counts: StateCounts = {}
      for (const { sim } of groups.get(req.group) ?? []) {
        const s = sim.state()
        const key = `${s.drMode}/${s.drState ?? 'none'}/${s.connectionState ?? 'none'}`
        counts[key] = (counts[key] ?? 0) + 1
      }
      return counts
    }
    case 'close-group': {
      const members = groups.get(req.group) ?? []
      groups.delete(req.group)
      await pool(members, 16, async ({ sim, agent }) => {
        await agent?.close().catch(() => {})
        await sim.close().catch(() => {})
      })
      return { closed: members.length }
    }
    case 'shutdown': {
      const all = [...groups.keys()]
      for (const name of all) await handle({ id: req.id, type: 'close-group', group: name })
      setImmediate(() => process.exit(0))
      return { closed: all.length }
    }
  }
}

process.on('message', (msg: HostRequest) => {
  handle(msg).then(
    (result) => send({ id: msg.id, ok: true, result }),
    (err: unknown) => send({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
send({ id: 0, ok: true, result: 'ready' })
