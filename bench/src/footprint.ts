import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort, spawnNode, waitForStatus } from './lib/children.ts'
import { startClusterHost } from './lib/cluster-host.ts'
import type { BenchContext } from './lib/context.ts'
import { readRss } from './lib/proc.ts'
import { atMost, type BenchOutcome, fig, type Row, ratioOf } from './lib/result.ts'
import { hasDist, type ServiceName, startService } from './lib/services.ts'
import { median, round } from './lib/stats.ts'

const HELLO = fileURLToPath(new URL('./hosts/hello-server.mjs', import.meta.url))
const READY_TARGET_MS = 500
const RSS_TARGET_MB = 80
/** How long a started process idles before its RSS is read. */
const IDLE_MS = 1_500
const NO_TARGET = '— (no target: source or gateway)'

interface Sample {
  readyMs: number
  idleRssMb: number
}

async function sampleService(
  ctx: BenchContext,
  service: ServiceName,
  vault: { addr: string; token: string } | undefined,
  dist: boolean,
): Promise<Sample> {
  const s = await startService(service, {
    dir: ctx.dir,
    dist,
    readyIntervalMs: 5,
    ...(vault === undefined ? {} : { vault }),
    ...(service === 'gateway' ? { env: { VAULT_DR_STORE: join(ctx.dir, `footprint-${Date.now()}.sqlite`) } } : {}),
  })
  try {
    await sleep(IDLE_MS)
    return { readyMs: s.readyAt - s.spawnedAt, idleRssMb: readRss(s.child.pid)?.rssMb ?? Number.NaN }
  } finally {
    await s.child.stop()
  }
}

async function sampleHello(ctx: BenchContext, i: number): Promise<Sample> {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawnNode(`hello-footprint-${i}`, HELLO, { PORT: String(port) }, { logDir: ctx.dir, source: false })
  try {
    const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 20_000, intervalMs: 5, child })
    await sleep(IDLE_MS)
    return { readyMs: ready - t0, idleRssMb: readRss(child.pid)?.rssMb ?? Number.NaN }
  } finally {
    await child.stop()
  }
}

async function repeat(n: number, fn: (i: number) => Promise<Sample>): Promise<Sample[]> {
  const out: Sample[] = []
  for (let i = 0; i < n; i++) out.push(await fn(i))
  return out
}

const med = (xs: Sample[], k: keyof Sample) => round(median(xs.map((x) => x[k])), k === 'readyMs' ? 0 : 1)

export async function footprint(ctx: BenchContext): Promise<BenchOutcome> {
  const reps = ctx.quick ? 2 : 3
  const host = await startClusterHost('footprint-sim-host', ctx.dir)
  const rows: Row[] = []
  const notes: string[] = []
  const details: Record<string, unknown> = { reps, idleMs: IDLE_MS }
  try {
    const [sim] = await host.sims({ group: 'fp', offset: 0, count: 1, host: '127.0.0.1', timings: {} })
    const vault = { addr: sim!.apiUrl, token: sim!.rootToken }
    const hello = await repeat(reps, (i) => sampleHello(ctx, i))
    details.hello = hello
    const helloReady = med(hello, 'readyMs')
    const helloRss = med(hello, 'idleRssMb')
    ctx.log(`footprint: bare Fastify ready in ${helloReady} ms, ${helloRss} MB`)

    // The targets are for the agents as they run in production: built (dist/server.js, a minified bundle). From the
    // TypeScript source (npm start -w, for development) they are measured for comparison only.
    const variants: Array<{ service: ServiceName; dist: boolean; target: boolean }> = []
    for (const service of ['primary-agent', 'secondary-agent', 'gateway'] as const) {
      variants.push({ service, dist: false, target: false })
      if (hasDist(service)) variants.push({ service, dist: true, target: service !== 'gateway' })
      else notes.push(`${service}: no dist/server.js (run npm run build), so only the TypeScript source was measured`)
    }
    for (const v of variants) {
      const label = `${v.service} (${v.dist ? 'dist/server.js' : 'src/server.ts'})`
      let samples: Sample[]
      try {
        samples = await repeat(reps, () =>
          sampleService(ctx, v.service, v.service === 'gateway' ? undefined : vault, v.dist),
        )
      } catch (err) {
        const why = (err as Error).message.split('\n')[0] ?? String(err)
        rows.push({
          benchmark: `footprint: ${label} start to ready`,
          measured: fig(null, 'ms'),
          baseline: null,
          ratio: null,
          target: v.target ? `< ${READY_TARGET_MS} ms` : NO_TARGET,
          verdict: `error: ${why}`,
        })
        continue
      }
      details[label] = samples
      const ready = med(samples, 'readyMs')
      const rss = med(samples, 'idleRssMb')
      ctx.log(`footprint: ${label} ready in ${ready} ms, ${rss} MB idle`)
      rows.push({
        benchmark: `footprint: ${label} spawn to first 200 on /readyz (median of ${samples.length})`,
        measured: fig(ready, 'ms'),
        baseline: fig(helloReady, 'ms', `${helloReady} ms bare Fastify`),
        ratio: ratioOf(ready, helloReady),
        target: v.target ? `< ${READY_TARGET_MS} ms` : NO_TARGET,
        verdict: v.target ? atMost(ready, READY_TARGET_MS, 'ms') : 'info',
      })
      rows.push({
        benchmark: `footprint: ${label} idle RSS ${IDLE_MS / 1000} s after ready`,
        measured: fig(rss, 'MB'),
        baseline: fig(helloRss, 'MB', `${helloRss} MB bare Fastify`),
        ratio: ratioOf(rss, helloRss),
        target: v.target ? `< ${RSS_TARGET_MB} MB` : NO_TARGET,
        verdict: v.target ? atMost(rss, RSS_TARGET_MB, 'MB') : 'info',
      })
    }
    notes.push(
      `spawn = child_process.spawn of node (--conditions=@vault-dr/source for src/server.ts); ready = first 200 on /readyz, polled every 5 ms, with a vault-sim cluster answering; RSS from /proc/<pid>/status ${IDLE_MS / 1000} s later, no traffic; each variant ${reps} times, one at a time; baseline: a bare Fastify hello-world started the same way (plain JavaScript: no TypeScript stripping)`,
    )
  } finally {
    await host.shutdown()
  }
  return { name: 'footprint', rows, notes, details }
}
