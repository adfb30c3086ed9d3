import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './lib/children.ts'
import { type ClusterHost, startClusterHost } from './lib/cluster-host.ts'
import { type BenchContext, ZERO_TIMINGS } from './lib/context.ts'
import { profileNote, summarizeProfiles } from './lib/cpuprofile.ts'
import {
  createHandshake,
  type Gateway,
  type HandshakeView,
  registerCluster,
  stepDurations,
  waitDone,
} from './lib/gateway-api.ts'
import { requestJson, requestText, sumMetric } from './lib/http.ts'
import { readCpuSeconds } from './lib/proc.ts'
import { atMost, type BenchOutcome, fig, type Row, ratioOf } from './lib/result.ts'
import { type RunningService, startService } from './lib/services.ts'
import { median, round, summarize } from './lib/stats.ts'
import { enablePrimary, mintAndActivate, waitStreaming } from './lib/vault-direct.ts'

const TARGET_RATIO = 1.3
const PROFILED = ['sim-host', 'gateway', 'hs-primary-agent', 'hs-secondary-agent']

/** With --profile, every process of the timed arm writes a CPU profile into its own folder. */
function profileArgs(ctx: BenchContext, name: string): { nodeArgs?: string[] } {
  if (!ctx.profile) return {}
  return { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(ctx.dir, 'profiles', 'handshake', name)}`] }
}
/** The bare script's poll interval while waiting for stream-wals. */
const BARE_POLL_MS = 10
const HOST = '127.0.0.1'

interface GatewayRun {
  /** CPU ms each process used during this handshake (from /proc, 10 ms ticks). */
  cpuMs: Record<string, number>
  /** Requests each agent served, and Vault calls it made, during this handshake (from their /metrics). */
  calls: { agentRequests: number; vaultCalls: number }
  ms: number
  acceptedMs: number
  state: string
  steps: Record<string, number | null>
  error: string | null
}

interface BareRun {
  ms: number
  polls: number
  /** CPU ms the emulated clusters used (from /proc, 10 ms ticks). */
  simsCpuMs: number
}

interface Reported {
  vault?: { cluster_name?: string }
  replication?: { mode?: string } | null
}

interface Slot {
  apiAddr: string
  clusterAddr: string
  rootToken: string
}

async function slot(): Promise<Slot> {
  return {
    apiAddr: `${HOST}:${await freePort(HOST)}`,
    clusterAddr: `${HOST}:${await freePort(HOST)}`,
    rootToken: `hvs.${randomBytes(18).toString('base64url')}`,
  }
}

/**
 * A primary and a secondary agent, each a real server process that lives across repetitions, in front of clusters
 * that are replaced by fresh ones on the same addresses (and root tokens) before each repetition: fresh clusters,
 * warm agents, as in production where agents run for months and a handshake meets new clusters.
 */
class AgentPair {
  round = 0
  agents: RunningService[] = []
  readonly tag: string
  readonly primary: Slot
  readonly secondary: Slot

  constructor(tag: string, primary: Slot, secondary: Slot) {
    this.tag = tag
    this.primary = primary
    this.secondary = secondary
  }

  static async start(ctx: BenchContext, host: ClusterHost, gw: Gateway, tag: string) {
    const pair = new AgentPair(tag, await slot(), await slot())
    await pair.freshClusters(host)
    const vault = (s: Slot) => ({ addr: `http://${s.apiAddr}`, token: s.rootToken })
    const profiled = (name: string) => profileArgs(ctx, `${tag}-${name}`)
    pair.agents = await Promise.all([
      startService('primary-agent', { dir: ctx.dir, vault: vault(pair.primary), ...profiled('primary-agent') }),
      startService('secondary-agent', {
        dir: ctx.dir,
        vault: vault(pair.secondary),
        ...profiled('secondary-agent'),
      }),
    ])
    const [pa, sa] = pair.agents as [RunningService, RunningService]
    await registerCluster(gw, { name: `${tag}-p`, role: 'primary', agentUrl: pa.url, agentToken: pa.token })
    await registerCluster(gw, { name: `${tag}-s`, role: 'secondary', agentUrl: sa.url, agentToken: sa.token })
    return pair
  }

  /** Closes the previous clusters and starts new ones on the same addresses. */
  async freshClusters(host: ClusterHost): Promise<void> {
    if (this.round > 0) await host.closeGroup(`${this.tag}-${this.round - 1}`)
    await host.sims({
      group: `${this.tag}-${this.round}`,
      offset: 0,
      count: 2,
      host: HOST,
      timings: ZERO_TIMINGS,
      fixed: [this.primary, this.secondary],
    })
    this.round++
  }

  /**
   * Until neither agent can answer from what it remembers of the previous clusters (on the same addresses): both
   * report the new ones by name in the status they share with callers that accept a recent answer (as preflight
   * does), and the primary agent's self-check, which reuses a good answer for a second, finds DR not served yet.
   */
  async awaitFresh(): Promise<void> {
    const deadline = performance.now() + 10_000
    const until = async (what: string, fresh: () => Promise<boolean>) => {
      while (!(await fresh())) {
        if (performance.now() > deadline) throw new Error(`${what} still reports the previous cluster`)
        await sleep(50)
      }
    }
    for (const [i, agent] of this.agents.entries()) {
      const name = `${this.tag}-${this.round - 1}-${i}`
      await until(`${agent.name} status`, async () => {
        const res = await requestJson<Reported>(`${agent.url}/v1/status`, { token: agent.token })
        return res.status === 200 && res.body.vault?.cluster_name === name && res.body.replication?.mode === 'disabled'
      })
    }
    const primary = this.agents[0]!
    await until(`${primary.name} self-check`, async () => {
      const res = await requestJson<{ cluster?: { dr_alpn?: boolean } }>(`${primary.url}/v1/probes/local`, {
        token: primary.token,
        method: 'POST',
      })
      return res.status === 200 && res.body.cluster?.dr_alpn === false
    })
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.child.stop()))
  }
}

/** The bare four Vault calls against a fresh pair: enable primary, mint, activate, poll until stream-wals. */
async function bareOnce(host: ClusterHost, tag: string): Promise<BareRun> {
  const [primary, secondary] = await host.sims({ group: tag, offset: 0, count: 2, host: HOST, timings: ZERO_TIMINGS })
  try {
    const cpu0 = readCpuSeconds(host.child.pid) ?? Number.NaN
    const t0 = performance.now()
    await enablePrimary(primary!)
    await mintAndActivate(primary!, secondary!, 'dc2')
    const polls = await waitStreaming(secondary!, BARE_POLL_MS, 10_000)
    const ms = performance.now() - t0
    return { ms, polls, simsCpuMs: round(((readCpuSeconds(host.child.pid) ?? Number.NaN) - cpu0) * 1000, 0) }
  } finally {
    await host.closeGroup(tag)
  }
}

/** A handshake that really activated (not one that found the pair already replicating). */
function activated(hs: HandshakeView): boolean {
  return hs.steps.find((s) => s.name === 'activate_secondary')?.detail?.startsWith('activated as') ?? false
}

/** Requests served (not counting /metrics) and Vault calls made, summed over the agents. */
async function agentCounters(agents: RunningService[]): Promise<{ agentRequests: number; vaultCalls: number }> {
  const texts = await Promise.all(agents.map((a) => requestText(`${a.url}/metrics`)))
  return {
    agentRequests: texts.reduce(
      (n, t) =>
        n +
        sumMetric(t, 'vault_dr_http_requests_total') -
        sumMetric(t, 'vault_dr_http_requests_total', { route: '/metrics' }),
      0,
    ),
    vaultCalls: texts.reduce((n, t) => n + sumMetric(t, 'vault_dr_vault_call_duration_seconds_count'), 0),
  }
}

/** The gateway's full handshake (preflight included) against a fresh pair. */
async function gatewayOnce(host: ClusterHost, gw: Gateway, pair: AgentPair): Promise<GatewayRun> {
  await pair.freshClusters(host)
  await pair.awaitFresh()
  const before = await agentCounters(pair.agents)
  const pids = {
    gateway: gw.pid ?? -1,
    primary: pair.agents[0]!.child.pid,
    secondary: pair.agents[1]!.child.pid,
    sims: host.child.pid,
  }
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, readCpuSeconds(pid) ?? Number.NaN]))
  const t0 = performance.now()
  const created = await createHandshake(gw, `${pair.tag}-p`, `${pair.tag}-s`)
  const accepted = performance.now()
  const { hs, at } = await waitDone(gw, created.id, 60_000)
  const real = hs.state === 'succeeded' && activated(hs)
  const cpuMs = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, round(((readCpuSeconds(pid) ?? Number.NaN) - cpuBefore[k]!) * 1000, 0)]),
  )
  const after = await agentCounters(pair.agents)
  return {
    cpuMs,
    calls: {
      agentRequests: after.agentRequests - before.agentRequests,
      vaultCalls: after.vaultCalls - before.vaultCalls,
    },
    ms: at - t0,
    acceptedMs: accepted - t0,
    state: real ? hs.state : hs.state === 'succeeded' ? 'succeeded without activating' : hs.state,
    steps: stepDurations(hs),
    error: hs.error === null ? null : `${hs.error.code}: ${hs.error.detail}`,
  }
}

function cpuMedians(runs: GatewayRun[]): Record<string, number> {
  const names = Object.keys(runs[0]?.cpuMs ?? {})
  return Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r.cpuMs[n] ?? Number.NaN))]))
}

function stepMedians(runs: GatewayRun[]): Record<string, number> {
  const names = Object.keys(runs[0]?.steps ?? {})
  return Object.fromEntries(
    names.map((n) => [n, round(median(runs.map((r) => r.steps[n] ?? Number.NaN).filter(Number.isFinite)), 0)]),
  )
}

export async function handshakeOverhead(ctx: BenchContext): Promise<BenchOutcome> {
  const reps = ctx.quick ? 3 : 15
  const notes: string[] = []
  const host = await startClusterHost('handshake-sim-host', ctx.dir, profileArgs(ctx, 'sim-host'))
  const gateway = await startService('gateway', {
    dir: ctx.dir,
    env: { VAULT_DR_STORE: join(ctx.dir, 'handshake-gateway.sqlite') },
    ...profileArgs(ctx, 'gateway'),
  })
  const gw = { url: gateway.url, token: gateway.token, pid: gateway.child.pid }
  const bare: BareRun[] = []
  const full: GatewayRun[] = []
  const pairs: AgentPair[] = []
  try {
    const pair = await AgentPair.start(ctx, host, gw, 'hs')
    pairs.push(pair)
    // One untimed round of each arm warms the JIT of every process involved.
    await bareOnce(host, 'bare-warmup')
    await gatewayOnce(host, gw, pair)
    // Interleaved, so drift on the shared machine hits both arms alike.
    for (let i = 0; i < reps; i++) {
      bare.push(await bareOnce(host, `bare${i}`))
      full.push(await gatewayOnce(host, gw, pair))
      ctx.log(
        `handshake ${i + 1}/${reps}: bare ${round(bare.at(-1)!.ms)} ms, gateway ${round(full.at(-1)!.ms)} ms (${full.at(-1)!.state})`,
      )
    }
  } finally {
    await Promise.all(pairs.map((p) => p.stop()))
    await gateway.child.stop(10_000)
    await host.shutdown()
  }

  if (ctx.profile) {
    for (const name of PROFILED) {
      for (const p of summarizeProfiles(join(ctx.dir, 'profiles', 'handshake', name), 15)) {
        notes.push(profileNote(name, p, 10))
      }
    }
  }
  const ok = (runs: GatewayRun[]) => runs.filter((r) => r.state === 'succeeded')
  const failed = full.filter((r) => r.state !== 'succeeded')
  if (failed.length > 0)
    notes.push(`unsuccessful handshakes: ${failed.map((r) => `${r.state} ${r.error ?? ''}`).join(' | ')}`)
  const bareMedian = round(median(bare.map((b) => b.ms)))
  const fullMedian = ok(full).length > 0 ? round(median(ok(full).map((r) => r.ms))) : null
  const ratio = ratioOf(fullMedian, bareMedian)
  const fullSteps = stepMedians(ok(full))

  const rows: Row[] = [
    {
      benchmark: `handshake: gateway full handshake vs bare 4 Vault calls (median of ${reps})`,
      measured:
        failed.length === 0
          ? fig(fullMedian, 'ms')
          : fig(fullMedian, 'ms', `${fullMedian ?? '—'} ms (${ok(full).length} of ${full.length} succeeded)`),
      baseline: fig(bareMedian, 'ms'),
      ratio,
      target: `ratio ≤ ${TARGET_RATIO}, no failed handshake`,
      verdict: failed.length === 0 ? atMost(ratio, TARGET_RATIO, '×') : `missed: ${failed.length} handshake(s) failed`,
    },
  ]
  notes.push(
    `emulator timings, both arms: ${JSON.stringify(ZERO_TIMINGS)}; a fresh cluster pair for every repetition (sims in one helper process)`,
    'gateway and agents are real servers: child processes `node --conditions=@vault-dr/source services/<x>/src/server.ts` with default settings (agents: VAULT_DR_STATUS_CACHE_MS 500), logs at info to a file; the agents live across repetitions and meet fresh clusters on the same addresses; one untimed warm-up round per arm',
    `gateway figure: POST /v1/handshakes until the SSE "done" event; bare figure: first Vault call until dr/status shows stream-wals + ready (polled every ${BARE_POLL_MS} ms)`,
    `CPU ms per handshake (median, 10 ms ticks): ${JSON.stringify(cpuMedians(ok(full)))}; the bare arm's clusters: ${median(bare.map((b) => b.simsCpuMs))}`,
    `median step durations (ms), gateway: ${JSON.stringify(fullSteps)}; POST /v1/handshakes answered in ${round(median(full.map((r) => r.acceptedMs)))} ms (median)`,
    `per handshake (median): the gateway made ${median(ok(full).map((r) => r.calls.agentRequests))} agent requests, which made ${median(ok(full).map((r) => r.calls.vaultCalls))} Vault calls; the bare arm made 3 Vault calls + ${median(bare.map((b) => b.polls))} dr/status poll(s) ${BARE_POLL_MS} ms apart`,
    'what the gateway adds on top of the bare calls, by design: preflight (both statuses, the primary probing its own cluster port, the secondary probing the primary API and cluster ports over TCP and TLS), the same cluster checks again once DR is enabled (the certificate fingerprint can only be compared then), the token inspection (the secondary looks it up on the primary), a durable record of every step, and agents in between (each call one more HTTP hop and process)',
  )
  return {
    name: 'handshake',
    rows,
    notes,
    details: {
      timings: ZERO_TIMINGS,
      bare: summarize(bare.map((b) => b.ms)),
      barePolls: bare.map((b) => b.polls),
      gateway: summarize(ok(full).map((r) => r.ms)),
      gatewayAcceptedMs: summarize(full.map((r) => r.acceptedMs)),
      gatewaySteps: fullSteps,
      gatewayRuns: full,
    },
  }
}
