import { setTimeout as sleep } from 'node:timers/promises'
import type { SecondaryInfo } from './hosts/host-protocol.ts'
import type { Gateway } from './lib/gateway-api.ts'
import { metricSamples, requestJson, requestText, sumMetric } from './lib/http.ts'
import { pool } from './lib/pool.ts'
import { atMost, fig, type Row, ratioOf } from './lib/result.ts'
import type { RunningService } from './lib/services.ts'
import { median, percentile, round } from './lib/stats.ts'

/** Requests the readiness pass (and its baseline) keeps in flight, as a dashboard or a script polling pairs would. */
const IN_FLIGHT = 32
/** Scrapes timed one after the other. */
const SCRAPES = 10
const LIST_CALLS = 5
const SCRAPE_TARGET_MS = 50
/** The agents' VAULT_DR_STATUS_CACHE_MS in the fleet, and the Vault calls of one status read of a primary. */
const STATUS_CACHE_MS = 500
const CALLS_PER_READ = 2
const VAULT_CALLS = 'vault_dr_vault_call_duration_seconds_count'
const TIMEOUT_MS = 120_000
/** How long the readiness pass may ask; the pairs left are reported as not asked. */
const READINESS_CAP_MS = 30_000

export interface ScrapeFigures {
  ms: number[]
  bytes: number
}

/** What the fleet hands over once N pairs stream through one gateway. */
export interface PairsFleet {
  n: number
  gw: Gateway
  primaryAgent: RunningService
  secondaries: SecondaryInfo[]
  /** The same gateway's /metrics before any handshake: N + 1 clusters registered, no pair. */
  idleScrape: ScrapeFigures
  /** Stops the fleet's gateway and starts another on its store, with its pairs upkeep every `upkeepMs`. */
  restartGateway(upkeepMs: number): Promise<{ gw: Gateway; readyAt: number; stop(): Promise<void> }>
}

/** `count` scrapes of the gateway's /metrics one after the other: each one's time, and the size of the last. */
export async function scrapeFigures(gw: Gateway, count = SCRAPES): Promise<ScrapeFigures> {
  const ms: number[] = []
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    bytes = Buffer.byteLength(await requestText(`${gw.url}/metrics`, 10_000))
    ms.push(performance.now() - t0)
  }
  return { ms, bytes }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: performance.now() - t0, value }
}

/** Vault calls so far: the primary agent's, and the sum over every secondary agent's (their /metrics). */
async function vaultCalls(f: PairsFleet): Promise<{ primary: number; secondaries: number }> {
  const primary = sumMetric(await requestText(`${f.primaryAgent.url}/metrics`), VAULT_CALLS)
  const each = await pool(f.secondaries, IN_FLIGHT, async (s) =>
    sumMetric(await requestText(`${s.agentUrl}/metrics`, TIMEOUT_MS), VAULT_CALLS),
  )
  return { primary, secondaries: each.reduce((a, b) => a + b, 0) }
}

const delta = (a: { primary: number; secondaries: number }, b: { primary: number; secondaries: number }) => ({
  primary: b.primary - a.primary,
  secondaries: b.secondaries - a.secondaries,
})

/**
 * listPairs, getPairReadiness for every pair, /metrics and one pass of the pairs upkeep, with N pairs streaming
 * through one gateway (the fleet's), each beside a baseline measured in the same run.
 */
export async function measurePairs(f: PairsFleet, log: (m: string) => void) {
  try {
    return await measure(f, log)
  } catch (err) {
    throw new Error(`pairs N=${f.n}, ${phase}: ${(err as Error).message}`, { cause: err })
  }
}

/** What measurePairs is doing, for an error's message. */
let phase = 'start'

async function measure(f: PairsFleet, log: (m: string) => void) {
  const { n, gw } = f
  const rows: Row[] = []
  const details: Record<string, unknown> = {}
  const get = (path: string) => requestJson<unknown>(`${gw.url}${path}`, { token: gw.token, timeoutMs: TIMEOUT_MS })

  phase = 'listPairs'
  // listPairs beside the fleet view: both read every agent's (shared) status once per call.
  const list: number[] = []
  const fleetView: number[] = []
  let listed = 0
  for (let i = 0; i < LIST_CALLS; i++) {
    const pairs = await timed(() => get('/v1/pairs'))
    list.push(pairs.ms)
    listed = ((pairs.value.body as { pairs?: unknown[] }).pairs ?? []).length
    fleetView.push((await timed(() => get('/v1/clusters'))).ms)
  }
  log(`fleet N=${n}: listPairs ${round(median(list))} ms (${listed} pairs), fleet view ${round(median(fleetView))} ms`)
  rows.push({
    benchmark: `pairs N=${n}: listPairs (GET /v1/pairs), median of ${LIST_CALLS}`,
    measured: fig(round(median(list)), 'ms', `${round(median(list))} ms, ${listed} pairs`),
    baseline: fig(round(median(fleetView)), 'ms', `${round(median(fleetView))} ms fleet view (GET /v1/clusters)`),
    ratio: ratioOf(median(list), median(fleetView)),
    target: `${n} pairs listed`,
    verdict: listed === n ? 'met' : `missed: ${listed} listed`,
  })

  phase = 'rotating the DR operation token'
  // The primary's DR operation token, as the upkeep would have issued it by now (its first round is a minute in):
  // readiness then checks it on each secondary, as it does between incidents.
  const rotated = await timed(() =>
    requestJson(`${gw.url}/v1/pairs/s-0/dr-operation-token/rotate`, {
      method: 'POST',
      token: gw.token,
      timeoutMs: TIMEOUT_MS,
    }),
  )
  log(`fleet N=${n}: dc0's DR operation token rotated in ${round(rotated.ms)} ms (HTTP ${rotated.value.status})`)

  phase = 'readiness'
  // getPairReadiness of every pair, IN_FLIGHT at once, beside the bare status reads of the same secondary agents.
  const bare = await timed(() =>
    pool(f.secondaries, IN_FLIGHT, (s) =>
      requestJson(`${s.agentUrl}/v1/status`, { token: s.agentToken, timeoutMs: TIMEOUT_MS }),
    ),
  )
  log(`fleet N=${n}: bare status of ${n} secondary agents in ${round(bare.ms / 1000, 2)} s`)
  const before = await vaultCalls(f)
  const perCall: number[] = []
  const outcomes: Record<string, number> = {}
  // Bounded, so a slow gateway costs the run READINESS_CAP_MS, not the budget: pairs not asked by then are counted.
  const stopAt = performance.now() + READINESS_CAP_MS
  const pass = await timed(() =>
    pool(f.secondaries, IN_FLIGHT, async (_, i) => {
      if (performance.now() > stopAt) return
      const one = await timed(() => get(`/v1/pairs/s-${i}/readiness`).catch((err: Error) => err))
      perCall.push(one.ms)
      const answer = one.value
      const key =
        answer instanceof Error
          ? answer.name
          : answer.status !== 200
            ? `HTTP ${answer.status}`
            : (answer.body as { ready?: boolean }).ready
              ? 'ready'
              : 'not ready'
      outcomes[key] = (outcomes[key] ?? 0) + 1
    }),
  )
  const asked = perCall.length
  const calls = delta(before, await vaultCalls(f))
  // The primary's status is shared by every pair: at most one read per VAULT_DR_STATUS_CACHE_MS, whatever the rate.
  const primaryBound = CALLS_PER_READ * (Math.ceil(pass.ms / STATUS_CACHE_MS) + 1)
  details.readiness = {
    asked,
    outcomes,
    vaultCalls: calls,
    primaryBound,
    passMs: round(pass.ms),
    bareMs: round(bare.ms),
  }
  log(`fleet N=${n}: readiness of ${asked} of ${n} pairs in ${round(pass.ms / 1000, 2)} s ${JSON.stringify(outcomes)}`)
  rows.push({
    benchmark: `pairs N=${n}: getPairReadiness of every pair, ${IN_FLIGHT} in flight (at most ${READINESS_CAP_MS / 1000} s)`,
    measured: fig(
      asked === n ? round(pass.ms / 1000, 2) : null,
      's',
      `${asked === n ? '' : `only ${asked} asked in `}${round(pass.ms / 1000, 2)} s, ${outcomes.ready ?? 0} ready (per call median ${round(median(perCall))} ms, p99 ${round(percentile(perCall, 99))} ms)`,
    ),
    baseline: fig(
      round(bare.ms / 1000, 2),
      's',
      `${round(bare.ms / 1000, 2)} s bare GET /v1/status of each secondary agent`,
    ),
    ratio: asked === n ? ratioOf(pass.ms, bare.ms) : null,
    target: `primary's Vault calls ≤ ${CALLS_PER_READ} per ${STATUS_CACHE_MS} ms`,
    verdict:
      (outcomes.ready ?? 0) < n
        ? `missed: ${n - (outcomes.ready ?? 0)} not ready or not asked`
        : calls.primary <= primaryBound
          ? 'met'
          : `missed: ${calls.primary} calls > ${primaryBound}`,
  })
  rows.push({
    benchmark: `pairs N=${n}: Vault calls of that readiness pass (primary agent / all secondary agents)`,
    measured: fig(
      calls.primary,
      '',
      asked === n
        ? `${calls.primary} / ${calls.secondaries} (${round(calls.secondaries / n, 2)} per pair)`
        : `${calls.primary} / ${calls.secondaries} in ${round(pass.ms / 1000, 1)} s, whatever made them`,
    ),
    baseline: null,
    ratio: null,
    target: `primary ≤ ${primaryBound} (one status read per ${STATUS_CACHE_MS} ms)`,
    verdict: calls.primary <= primaryBound ? 'met' : `missed by ${calls.primary - primaryBound}`,
  })

  phase = 'metrics'
  // /metrics with every pair's series, beside the same gateway's scrape with no pair; and the Vault calls it caused.
  const beforeScrapes = await vaultCalls(f)
  const scrapes = await scrapeFigures(gw)
  const scrapeCalls = delta(beforeScrapes, await vaultCalls(f))
  const pairSeries = metricSamples(await requestText(`${gw.url}/metrics`), 'vault_dr_pair_ready').length
  const scrapeMs = median(scrapes.ms)
  const idleMs = median(f.idleScrape.ms)
  details.metrics = { scrapes, idle: f.idleScrape, vaultCallsDuringScrapes: scrapeCalls, pairSeries }
  rows.push({
    benchmark: `pairs N=${n}: gateway /metrics scrape, median of ${SCRAPES} (${pairSeries} pairs in vault_dr_pair_ready)`,
    measured: fig(round(scrapeMs, 2), 'ms', `${round(scrapeMs, 2)} ms, ${round(scrapes.bytes / 1024)} KiB`),
    baseline: fig(
      round(idleMs, 2),
      'ms',
      `${round(idleMs, 2)} ms, ${round(f.idleScrape.bytes / 1024)} KiB with no pair`,
    ),
    ratio: ratioOf(scrapeMs, idleMs),
    target: `< ${SCRAPE_TARGET_MS} ms, no Vault call`,
    verdict:
      [
        atMost(scrapeMs, SCRAPE_TARGET_MS, 'ms'),
        scrapeCalls.primary + scrapeCalls.secondaries === 0
          ? 'met'
          : `missed: ${scrapeCalls.primary + scrapeCalls.secondaries} Vault calls`,
      ].find((v) => v !== 'met') ?? 'met',
  })

  rows.push(await upkeepPass(f, bare.ms, details, log))
  return { rows, details }
}

/**
 * One pass of the pairs upkeep on a gateway restarted on the fleet's store (so no pair has metrics yet): from the
 * moment its first round is due (ready + interval) until every pair has its `vault_dr_pair_ready` sample, read from
 * /metrics every 50 ms.
 */
async function upkeepPass(
  f: PairsFleet,
  bareMs: number,
  details: Record<string, unknown>,
  log: (m: string) => void,
): Promise<Row> {
  phase = 'upkeep'
  const upkeepMs = 1_000
  const restarted = await f.restartGateway(upkeepMs)
  try {
    const due = restarted.readyAt + upkeepMs
    let seen = 0
    let doneAt: number | null = null
    while (performance.now() - due < TIMEOUT_MS) {
      const text = await requestText(`${restarted.gw.url}/metrics`, 10_000)
      seen = metricSamples(text, 'vault_dr_pair_ready').length
      if (seen >= f.n) {
        doneAt = performance.now()
        break
      }
      await sleep(50)
    }
    const passMs = doneAt === null ? null : doneAt - due
    details.upkeep = { passMs, seen, upkeepMs }
    log(
      `fleet N=${f.n}: upkeep pass ${passMs === null ? 'unfinished' : `${round(passMs / 1000, 2)} s`} (${seen} pairs)`,
    )
    return {
      benchmark: `pairs N=${f.n}: one pairs upkeep pass (tokens kept, each checked on its secondary, metrics)`,
      measured:
        passMs === null ? fig(null, 's', `unfinished: ${seen} of ${f.n} pairs`) : fig(round(passMs / 1000, 2), 's'),
      baseline: fig(
        round(bareMs / 1000, 2),
        's',
        `${round(bareMs / 1000, 2)} s bare GET /v1/status of each secondary agent`,
      ),
      ratio: ratioOf(passMs, bareMs),
      target: 'info',
      verdict: passMs === null ? 'missed: unfinished' : 'info',
    }
  } finally {
    await restarted.stop()
  }
}
