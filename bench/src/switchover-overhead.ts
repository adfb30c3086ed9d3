import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { freePort } from './lib/children.ts'
import { type ClusterHost, startClusterHost } from './lib/cluster-host.ts'
import { type BenchContext, ZERO_TIMINGS } from './lib/context.ts'
import { profileNote, summarizeProfiles } from './lib/cpuprofile.ts'
import { createHandshake, type Gateway, registerCluster, waitDone } from './lib/gateway-api.ts'
import { requestJson, requestText, sumMetric } from './lib/http.ts'
import { readCpuNs } from './lib/proc.ts'
import { atMost, type BenchOutcome, fig, type Row, ratioOf } from './lib/result.ts'
import { type RunningService, startService } from './lib/services.ts'
import { median, round, summarize } from './lib/stats.ts'
import type { DirectCluster } from './lib/vault-direct.ts'
import { waitStreaming } from './lib/vault-direct.ts'
import { type BareSwitchover, bareSwitchover, makeDrOperationToken, vaultWrite } from './switchover-bare.ts'

const TARGET_RATIO = 1.3
const HOST = '127.0.0.1'
const BARE_POLL_MS = 10
/** The processes whose CPU time each switchover is charged with, and which --profile profiles. */
const PROFILED = ['sim-host', 'gateway', 'primary-agent', 'secondary-agent'] as const
type Proc = (typeof PROFILED)[number]

/** With --profile, each process writes a CPU profile into its own folder. */
function profileArgs(ctx: BenchContext, name: Proc): { nodeArgs?: string[] } {
  if (!ctx.profile) return {}
  return { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(ctx.dir, 'profiles', 'switchover', name)}`] }
}

/** CPU milliseconds each process spends while `fn` runs (schedstat: finer than the 10 ms ticks of stat). */
async function charged<T>(
  pids: Partial<Record<Proc, number>>,
  fn: () => Promise<T>,
): Promise<[T, Record<string, number>]> {
  const before = Object.entries(pids).map(([name, pid]) => [name, pid, readCpuNs(pid) ?? Number.NaN] as const)
  const value = await fn()
  const cpu = before.map(([name, pid, ns]) => [name, round(((readCpuNs(pid) ?? Number.NaN) - ns) / 1e6, 1)])
  return [value, Object.fromEntries(cpu)]
}

function cpuMedians(runs: Array<{ cpuMs: Record<string, number> }>): Record<string, number> {
  const names = Object.keys(runs[0]?.cpuMs ?? {})
  return Object.fromEntries(names.map((n) => [n, round(median(runs.map((r) => r.cpuMs[n] ?? Number.NaN)), 1)]))
}

/** The parts of the gateway's Operation the benchmark reads. */
interface OperationView {
  id: string
  state: string
  steps: Array<{ name: string; started_at: string | null; finished_at: string | null }>
  result: { write_unavailable_ms?: number | null; wals_lost?: number | null } | null
  error: { code: string; detail: string } | null
}

interface GatewayRun {
  ms: number
  writeUnavailableMs: number | null
  walsLost: number | null
  state: string
  error: string | null
  steps: Record<string, number | null>
  /** CPU ms per process during the run. */
  cpuMs: Record<string, number>
  /** Requests the agents served (their /metrics aside) and Vault calls they made during the run. */
  calls: AgentCalls
}

interface AgentCalls {
  agentRequests: number
  vaultCalls: number
}

/** What the agents served and asked of Vault so far, summed over both (their /metrics scrapes not counted). */
async function agentCalls(agents: RunningService[]): Promise<AgentCalls> {
  const texts = await Promise.all(agents.map((a) => requestText(`${a.url}/metrics`)))
  const served = (t: string) =>
    sumMetric(t, 'vault_dr_http_requests_total') - sumMetric(t, 'vault_dr_http_requests_total', { route: '/metrics' })
  return {
    agentRequests: texts.reduce((n, t) => n + served(t), 0),
    vaultCalls: texts.reduce((n, t) => n + sumMetric(t, 'vault_dr_vault_call_duration_seconds_count'), 0),
  }
}

/**
 * Two clusters on fixed loopback addresses sharing one root token: the token every caller (agents included) uses
 * stays valid on either cluster whatever role it has, as a token made on the primary does in production (the
 * secondary holds the primary's data).
 */
async function pairOfSims(host: ClusterHost, group: string): Promise<[DirectCluster, DirectCluster]> {
  const rootToken = `hvs.${randomBytes(18).toString('base64url')}`
  const fixed = await Promise.all(
    [0, 1].map(async () => ({
      apiAddr: `${HOST}:${await freePort(HOST)}`,
      clusterAddr: `${HOST}:${await freePort(HOST)}`,
      rootToken,
    })),
  )
  const sims = await host.sims({ group, offset: 0, count: 2, host: HOST, timings: ZERO_TIMINGS, fixed })
  const [a, b] = sims
  if (a === undefined || b === undefined) throw new Error('the cluster host started fewer than 2 clusters')
  return [a, b]
}

/** The bare calls that make the two a replicating pair: enable, token, activate, wait. */
async function pairUp(primary: DirectCluster, secondary: DirectCluster): Promise<void> {
  await vaultWrite(primary, 'sys/replication/dr/primary/enable', {})
  const minted = await vaultWrite(primary, 'sys/replication/dr/primary/secondary-token', { id: 'b', ttl: '5m' })
  await vaultWrite(secondary, 'sys/replication/dr/secondary/enable', { token: minted.wrap_info?.token })
  await waitStreaming(secondary, BARE_POLL_MS, 10_000)
}

async function createSwitchover(gw: Gateway, to: string): Promise<OperationView> {
  const res = await requestJson<OperationView>(`${gw.url}/v1/switchovers`, { token: gw.token, body: { to } })
  if (res.status !== 202) throw new Error(`POST /v1/switchovers: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

/**
 * Follows GET /v1/operations/{id}/events until its `done` event: the finished operation and when the event arrived
 * (performance.now()), so no polling interval blurs the figure.
 */
async function waitOperation(gw: Gateway, id: string, timeoutMs: number): Promise<{ op: OperationView; at: number }> {
  const res = await fetch(`${gw.url}/v1/operations/${id}/events`, {
    headers: { authorization: `Bearer ${gw.token}`, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (res.status !== 200 || res.body === null) throw new Error(`events of ${id}: HTTP ${res.status}`)
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true })
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (/^event: done$/m.test(block) && data !== undefined)
        return { op: JSON.parse(data) as OperationView, at: performance.now() }
    }
  }
  throw new Error(`the event stream of ${id} ended without a done event`)
}

function stepMs(op: OperationView): Record<string, number | null> {
  return Object.fromEntries(
    op.steps.map((s) => [
      s.name,
      s.started_at !== null && s.finished_at !== null ? Date.parse(s.finished_at) - Date.parse(s.started_at) : null,
    ]),
  )
}

/**
 * A switchover through the gateway (and both agents, as real processes) against the same Vault calls made bare by a
 * script, each on its own pair of emulated clusters with zero delays; each repetition switches the other way, so the
 * pairs go back and forth. Both arms also report their write-unavailable window (demote to the first write accepted).
 */
export async function switchoverOverhead(ctx: BenchContext): Promise<BenchOutcome> {
  const reps = ctx.quick ? 2 : 10
  const host = await startClusterHost('switchover-sim-host', ctx.dir, profileArgs(ctx, 'sim-host'))
  const services: RunningService[] = []
  const bare: Array<BareSwitchover & { cpuMs: Record<string, number> }> = []
  const full: GatewayRun[] = []
  try {
    const [b1, b2] = await pairOfSims(host, 'bare')
    await pairUp(b1, b2)
    const drToken = await makeDrOperationToken(b1)
    const [g1, g2] = await pairOfSims(host, 'gw')
    const gateway = await startService('gateway', {
      dir: ctx.dir,
      env: { VAULT_DR_STORE: join(ctx.dir, 'switchover-gateway.sqlite') },
      ...profileArgs(ctx, 'gateway'),
    })
    services.push(gateway)
    const vault = (c: DirectCluster) => ({ addr: c.apiUrl, token: c.rootToken })
    // Each agent keeps the fencing epoch it saw in a folder of its own, new with this run's gateway store.
    const stateDir = (name: string) => ({ env: { VAULT_DR_AGENT_STATE_DIR: join(ctx.dir, `${name}-agent-state`) } })
    const agents = await Promise.all([
      startService('primary-agent', {
        dir: ctx.dir,
        vault: vault(g1),
        ...stateDir('so-1'),
        ...profileArgs(ctx, 'primary-agent'),
      }),
      startService('secondary-agent', {
        dir: ctx.dir,
        vault: vault(g2),
        ...stateDir('so-2'),
        ...profileArgs(ctx, 'secondary-agent'),
      }),
    ])
    services.push(...agents)
    const gw: Gateway = { url: gateway.url, token: gateway.token }
    const [pa, sa] = agents as [RunningService, RunningService]
    await registerCluster(gw, { name: 'so-1', role: 'primary', agentUrl: pa.url, agentToken: pa.token })
    await registerCluster(gw, { name: 'so-2', role: 'secondary', agentUrl: sa.url, agentToken: sa.token })
    const hs = await createHandshake(gw, 'so-1', 'so-2')
    const joined = await waitDone(gw, hs.id, 60_000)
    if (joined.hs.state !== 'succeeded')
      throw new Error(`the gateway's pair did not form: ${JSON.stringify(joined.hs.error)}`)

    const bareArm = [b1, b2]
    const gwArm = ['so-1', 'so-2']
    const gwPids = {
      'sim-host': host.child.pid,
      gateway: gateway.child.pid,
      'primary-agent': pa.child.pid,
      'secondary-agent': sa.child.pid,
    }
    // One untimed round trip of each arm warms every process; then interleaved, so drift hits both alike.
    for (let i = -2; i < reps; i++) {
      const [from, to] = i % 2 === 0 ? [0, 1] : [1, 0]
      const [b, bareCpu] = await charged({ 'sim-host': host.child.pid }, () =>
        bareSwitchover(bareArm[from] as DirectCluster, bareArm[to] as DirectCluster, drToken, {
          fromSecondaryId: `b${from}`,
          pollMs: BARE_POLL_MS,
          timeoutMs: 20_000,
        }),
      )
      const callsBefore = await agentCalls(agents)
      const t0 = performance.now()
      const [{ op, at }, cpuMs] = await charged(gwPids, async () => {
        const created = await createSwitchover(gw, gwArm[to] as string)
        return waitOperation(gw, created.id, 120_000)
      })
      const callsAfter = await agentCalls(agents)
      const run: GatewayRun = {
        cpuMs,
        calls: {
          agentRequests: callsAfter.agentRequests - callsBefore.agentRequests,
          vaultCalls: callsAfter.vaultCalls - callsBefore.vaultCalls,
        },
        ms: at - t0,
        writeUnavailableMs: op.result?.write_unavailable_ms ?? null,
        walsLost: op.result?.wals_lost ?? null,
        state: op.state,
        error: op.error === null ? null : `${op.error.code}: ${op.error.detail}`,
        steps: stepMs(op),
      }
      if (i < 0) {
        if (run.state !== 'succeeded') throw new Error(`the warm-up switchover ${run.state}: ${run.error}`)
        continue
      }
      bare.push({ ...b, cpuMs: bareCpu })
      full.push(run)
      ctx.log(`switchover ${i + 1}/${reps}: bare ${round(b.ms)} ms, gateway ${round(run.ms)} ms (${run.state})`)
    }
  } finally {
    await Promise.all(services.map((s) => s.child.stop(10_000)))
    await host.shutdown()
  }

  const profiles = ctx.profile
    ? PROFILED.flatMap((name) =>
        summarizeProfiles(join(ctx.dir, 'profiles', 'switchover', name), 15).map((p) => profileNote(name, p, 10)),
      )
    : []
  const ok = full.filter((r) => r.state === 'succeeded')
  const failed = full.length - ok.length
  const bareMs = round(median(bare.map((b) => b.ms)))
  const fullMs = ok.length > 0 ? round(median(ok.map((r) => r.ms))) : null
  const ratio = ratioOf(fullMs, bareMs)
  const bareWindow = round(median(bare.map((b) => b.writeUnavailableMs)))
  const gwWindows = ok.map((r) => r.writeUnavailableMs).filter((w): w is number => w !== null)
  const fullWindow = gwWindows.length > 0 ? round(median(gwWindows)) : null
  const lost = [...bare.map((b) => b.walsLost), ...ok.map((r) => r.walsLost ?? Number.NaN)]
  const rows: Row[] = [
    {
      benchmark: `switchover: gateway vs bare Vault calls (demote … update-primary, median of ${reps})`,
      measured: fig(
        fullMs,
        'ms',
        failed > 0 ? `${fullMs ?? '—'} ms (${ok.length} of ${full.length} succeeded)` : undefined,
      ),
      baseline: fig(bareMs, 'ms'),
      ratio,
      target: `ratio ≤ ${TARGET_RATIO}, no failed switchover`,
      verdict: failed === 0 ? atMost(ratio, TARGET_RATIO, '×') : `missed: ${failed} switchover(s) failed`,
    },
    {
      benchmark: 'switchover: write-unavailable window (demote to the first write accepted), gateway vs bare',
      measured: fig(fullWindow, 'ms'),
      baseline: fig(bareWindow, 'ms'),
      ratio: ratioOf(fullWindow, bareWindow),
      target: 'reported side by side; WALs lost 0 in every run of both arms',
      verdict: lost.every((n) => n === 0) ? 'met: 0 WALs lost' : `missed: WALs lost ${JSON.stringify(lost)}`,
    },
  ]
  const stepNames = Object.keys(ok[0]?.steps ?? {})
  const steps = Object.fromEntries(
    stepNames.map((n) => [n, round(median(ok.map((r) => r.steps[n] ?? Number.NaN).filter(Number.isFinite)), 0)]),
  )
  return {
    name: 'switchover',
    rows,
    notes: [
      `emulator timings, both arms: ${JSON.stringify(ZERO_TIMINGS)}; each arm has its own pair of clusters, switched back and forth (one untimed round trip first)`,
      `gateway figure: POST /v1/switchovers until the operation's "done" event; bare figure: the demote until the old primary streams from the new one (status polled every ${BARE_POLL_MS} ms), ${median(bare.map((b) => b.calls))} Vault calls (median)`,
      `median step durations (ms), gateway: ${JSON.stringify(steps)}`,
      `per gateway switchover (median): ${median(ok.map((r) => r.calls.agentRequests))} agent requests, ${median(ok.map((r) => r.calls.vaultCalls))} Vault calls by the agents`,
      `CPU ms per switchover (median, schedstat), gateway arm: ${JSON.stringify(cpuMedians(ok))}; bare arm: ${JSON.stringify(cpuMedians(bare))}`,
      'what the gateway adds by design: preflight (both statuses, the token kept for the whole operation), a durable record of every step, epoch fencing on every role change, the write check through the agent, the pair verified from both sides, and a new DR operation token on the new primary',
      ...profiles,
    ],
    details: {
      bare: summarize(bare.map((b) => b.ms)),
      bareWindow: summarize(bare.map((b) => b.writeUnavailableMs)),
      gateway: summarize(ok.map((r) => r.ms)),
      gatewayWindow: gwWindows.length > 0 ? summarize(gwWindows) : null,
      gatewayRuns: full,
    },
  }
}
