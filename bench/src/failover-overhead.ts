import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { type BareFailover, bareFailover, untilWritable } from './failover-bare.ts'
import { type BenchContext, ZERO_TIMINGS } from './lib/context.ts'
import { createHandshake, type Gateway, registerCluster, waitDone } from './lib/gateway-api.ts'
import { requestJson } from './lib/http.ts'
import { atMost, type BenchOutcome, fig, type Row, ratioOf } from './lib/result.ts'
import { type RunningService, startService } from './lib/services.ts'
import { median, round, summarize } from './lib/stats.ts'
import { enablePrimary, mintAndActivate, waitStreaming } from './lib/vault-direct.ts'
import { makeDrOperationToken } from './switchover-bare.ts'

const TARGET_EXTRA_MS = 250
const POLL_MS = 10
const DOWN_FOR = '1s'

interface OperationView {
  id: string
  state: string
  steps: Array<{ name: string; started_at: string | null; finished_at: string | null }>
  error: { code: string; detail: string } | null
}

interface GatewayRun {
  ms: number
  state: string
  error: string | null
  steps: Record<string, number | null>
}

const rootToken = () => `hvs.${randomBytes(18).toString('base64url')}`

/** Emulated clusters in this process (their faults make a site loss), sharing one root token. */
async function sims(names: string[], token: string): Promise<ClusterHandle[]> {
  return Promise.all(names.map((name) => startCluster({ name, rootToken: token, timings: ZERO_TIMINGS })))
}

async function until(what: string, timeoutMs: number, ok: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(50)
  }
}

async function getOperation(gw: Gateway, id: string): Promise<OperationView> {
  const res = await requestJson<OperationView>(`${gw.url}/v1/operations/${id}`, { token: gw.token })
  if (res.status !== 200) throw new Error(`GET /v1/operations/${id}: HTTP ${res.status}`)
  return res.body
}

async function finished(gw: Gateway, id: string): Promise<OperationView> {
  let op: OperationView | undefined
  await until(`operation ${id} finished`, 60_000, async () => {
    op = await getOperation(gw, id)
    return ['succeeded', 'failed', 'cancelled'].includes(op.state)
  })
  return op as OperationView
}

async function start(gw: Gateway, path: string, body: unknown): Promise<OperationView> {
  const res = await requestJson<OperationView>(`${gw.url}${path}`, { token: gw.token, body })
  if (res.status !== 202) throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

function stepMs(op: OperationView): Record<string, number | null> {
  return Object.fromEntries(
    op.steps.map((s) => [
      s.name,
      s.started_at !== null && s.finished_at !== null ? Date.parse(s.finished_at) - Date.parse(s.started_at) : null,
    ]),
  )
}

/** One bare repetition on a fresh pair: paired, a DR operation token kept, the primary's site lost, then timed. */
async function bareRun(): Promise<BareFailover> {
  const token = rootToken()
  const [p, s] = (await sims(['bare-1', 'bare-2'], token)) as [ClusterHandle, ClusterHandle]
  try {
    const [primary, secondary] = [p, s].map((c) => ({ apiUrl: c.apiUrl, rootToken: token }))
    if (primary === undefined || secondary === undefined) throw new Error('no bare pair')
    await enablePrimary(primary)
    await mintAndActivate(primary, secondary, 'bare-2')
    await waitStreaming(secondary, POLL_MS, 10_000)
    const drToken = await makeDrOperationToken(primary)
    await p.faults.isolate('refuse')
    return await bareFailover(secondary, drToken, { pollMs: POLL_MS, timeoutMs: 20_000 })
  } finally {
    await Promise.all([p.close(), s.close()])
  }
}

/**
 * From createFailover to the new primary accepting a write, through the gateway and both agents as real processes,
 * against a bare promote-and-write script, each on emulated clusters with zero delays. The gateway's pair fails over
 * back and forth: after each run the lost site returns, the gateway demotes it and it rejoins (untimed).
 */
export async function failoverOverhead(ctx: BenchContext): Promise<BenchOutcome> {
  const reps = ctx.quick ? 2 : 6
  const token = rootToken()
  const clusters = await sims(['fo-1', 'fo-2'], token)
  const services: RunningService[] = []
  const bare: BareFailover[] = []
  const full: GatewayRun[] = []
  try {
    const gateway = await startService('gateway', {
      dir: ctx.dir,
      env: { VAULT_DR_STORE: join(ctx.dir, 'failover-gateway.sqlite'), VAULT_DR_FENCE_CHECK_MS: '200' },
    })
    services.push(gateway)
    const stateDir = (name: string) => ({ VAULT_DR_AGENT_STATE_DIR: join(ctx.dir, `${name}-agent-state`) })
    const agents = await Promise.all(
      (['primary-agent', 'secondary-agent'] as const).map((service, i) =>
        startService(service, {
          dir: ctx.dir,
          vault: { addr: (clusters[i] as ClusterHandle).apiUrl, token },
          env: stateDir(`fo-${i + 1}`),
        }),
      ),
    )
    services.push(...agents)
    const gw: Gateway = { url: gateway.url, token: gateway.token }
    const names = ['fo-1', 'fo-2']
    for (const [i, name] of names.entries()) {
      const a = agents[i] as RunningService
      await registerCluster(gw, { name, role: i === 0 ? 'primary' : 'secondary', agentUrl: a.url, agentToken: a.token })
    }
    const hs = await createHandshake(gw, 'fo-1', 'fo-2')
    const joined = await waitDone(gw, hs.id, 60_000)
    if (joined.hs.state !== 'succeeded') throw new Error(`the pair did not form: ${JSON.stringify(joined.hs.error)}`)
    const rotated = await requestJson(`${gw.url}/v1/pairs/fo-2/dr-operation-token/rotate`, {
      token: gw.token,
      body: {},
    })
    if (rotated.status !== 200) throw new Error(`rotating fo-2's DR operation token: HTTP ${rotated.status}`)

    // One untimed run of each arm first; then taking turns, so the machine's drift hits both alike.
    for (let i = -1; i < reps; i++) {
      const [from, to] = i % 2 === 0 ? [1, 0] : [0, 1]
      const [lost, promoted] = [clusters[from] as ClusterHandle, clusters[to] as ClusterHandle]
      const b = await bareRun()

      await lost.faults.isolate('refuse')
      await until(`${names[from]} judged down`, 30_000, async () => {
        const plan = await requestJson<{ primary_verdict?: string }>(`${gw.url}/v1/failovers/plan`, {
          token: gw.token,
          body: { to: names[to], down_for: DOWN_FOR },
        })
        return plan.body?.primary_verdict === 'down'
      })
      const newPrimary = { apiUrl: promoted.apiUrl, rootToken: token }
      const t0 = performance.now()
      const writable = untilWritable(newPrimary, POLL_MS, 30_000).then(() => performance.now())
      const created = await start(gw, '/v1/failovers', { to: names[to], down_for: DOWN_FOR, allow_data_loss: true })
      const at = await writable
      const op = await finished(gw, created.id)
      const run: GatewayRun = {
        ms: at - t0,
        state: op.state,
        error: op.error === null ? null : `${op.error.code}: ${op.error.detail}`,
        steps: stepMs(op),
      }
      if (op.state !== 'succeeded') throw new Error(`the failover ${op.state}: ${run.error}`)

      // The lost site returns: the gateway demotes it, and it rejoins as a secondary of the new primary.
      await lost.faults.rejoin()
      await until(`${names[from]} demoted`, 30_000, () => lost.state().drMode === 'secondary')
      const rejoin = await start(gw, '/v1/rejoins', { cluster: names[from] })
      const rejoined = await finished(gw, rejoin.id)
      if (rejoined.state !== 'succeeded')
        throw new Error(`the rejoin ${rejoined.state}: ${JSON.stringify(rejoined.error)}`)
      if (i < 0) continue
      bare.push(b)
      full.push(run)
      ctx.log(`failover ${i + 1}/${reps}: bare ${round(b.ms)} ms, gateway ${round(run.ms)} ms`)
    }
  } finally {
    await Promise.all(services.map((s) => s.child.stop(10_000)))
    await Promise.all(clusters.map((c) => c.close()))
  }

  const bareMs = round(median(bare.map((b) => b.ms)))
  const fullMs = round(median(full.map((r) => r.ms)))
  const extra = round(fullMs - bareMs)
  const rows: Row[] = [
    {
      benchmark: `failover: createFailover to the new primary taking a write, gateway vs bare promote (median of ${reps})`,
      measured: fig(fullMs, 'ms'),
      baseline: fig(bareMs, 'ms'),
      ratio: ratioOf(fullMs, bareMs),
      target: `≤ bare + ${TARGET_EXTRA_MS} ms`,
      verdict: atMost(extra, TARGET_EXTRA_MS, 'ms'),
    },
  ]
  const stepNames = Object.keys(full[0]?.steps ?? {})
  const steps = Object.fromEntries(
    stepNames.map((n) => [n, round(median(full.map((r) => r.steps[n] ?? Number.NaN).filter(Number.isFinite)), 0)]),
  )
  return {
    name: 'failover',
    rows,
    notes: [
      `emulator timings, both arms: ${JSON.stringify(ZERO_TIMINGS)}; the primary's site lost with the emulator's isolate fault (connections refused) before the clock starts; writes polled every ${POLL_MS} ms in both arms`,
      `gateway figure: POST /v1/failovers (down_for ${DOWN_FOR}, the guard judged again in its preflight step) until a write on the new primary is accepted; bare figure: sys/replication/dr/secondary/promote with a kept DR operation token until a write is accepted, on a fresh pair each run`,
      `gateway over bare: ${extra} ms (median); median step durations (ms), gateway: ${JSON.stringify(steps)}`,
      'what the gateway adds before the promote by design: the plan at the request and again in preflight (every vantage point read), a durable record of every step, the epoch raised and sent with the promote',
    ],
    details: { bare: summarize(bare.map((b) => b.ms)), gateway: summarize(full.map((r) => r.ms)), gatewayRuns: full },
  }
}
