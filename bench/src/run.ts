/**
 * npm run bench: every benchmark with its baseline in the same run, then one table and a JSON file
 * (bench/results/<timestamp>.json and bench/results/latest.json).
 *
 *   npm run bench                                        all of them, within 10 minutes on 2 cores
 *   npm run bench -w @vault-dr/bench -- --only fleet     one (or several, comma-separated): handshake, monitoring,
 *                                                        probes, footprint, failover, switchover, fleet, ha
 *                                                        (ha, several gateways on etcd, runs only when named)
 *   ... -- --fleet-sizes 100,500                         other fleet sizes (default 100,500,1000)
 *   ... -- --profile                                     CPU profiles of the gateway child (handshake, fleet), with
 *                                                        their hottest functions in the notes
 *   ... -- --quick                                       fewer repetitions, shorter loads (to try the harness out)
 *   ... -- --keep                                        keep the scratch folder (logs, stores, profiles)
 *
 * The root script (`npm run bench`) cannot pass flags through, because npm reads them as its own: use the workspace
 * form above, or the environment: BENCH_ONLY=fleet BENCH_FLEET_SIZES=100 BENCH_PROFILE=1 BENCH_QUICK=1 BENCH_KEEP=1.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { failoverOverhead } from './failover-overhead.ts'
import { fleet } from './fleet.ts'
import { footprint } from './footprint.ts'
import { handshakeOverhead } from './handshake-overhead.ts'
import { repoRoot } from './lib/children.ts'
import type { BenchContext } from './lib/context.ts'
import type { BenchOutcome, Row } from './lib/result.ts'
import { renderTable } from './lib/table.ts'
import { monitoring } from './monitoring.ts'
import { probes } from './probes.ts'
import { switchoverOverhead } from './switchover-overhead.ts'

/**
 * In running order: the fleet last, because it sizes itself to the time left. `named` ones run only when --only names
 * them: `ha` (etcd, two fleets of its own) does not fit in the 10 minutes beside the others.
 */
const BENCHMARKS: Record<
  string,
  { run: (ctx: BenchContext) => Promise<BenchOutcome>; needsGateway: boolean; named?: boolean }
> = {
  handshake: { run: handshakeOverhead, needsGateway: true },
  probes: { run: probes, needsGateway: false },
  footprint: { run: footprint, needsGateway: false },
  monitoring: { run: monitoring, needsGateway: true },
  failover: { run: failoverOverhead, needsGateway: true },
  switchover: { run: switchoverOverhead, needsGateway: true },
  fleet: { run: fleet, needsGateway: true },
  // Loaded when run: it brings the gateway's store and the etcd test cluster into this process.
  ha: { run: async (ctx) => (await import('./ha.ts')).ha(ctx), needsGateway: true, named: true },
}

/** The whole run must end within 10 minutes; benchmarks check what is left before starting costly work. */
const BUDGET_MS = 9.5 * 60_000

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    'fleet-sizes': { type: 'string' },
    profile: { type: 'boolean' },
    quick: { type: 'boolean' },
    keep: { type: 'boolean' },
  },
})
const envFlag = (name: string) => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase())
const values = {
  only: flags.only ?? process.env.BENCH_ONLY,
  'fleet-sizes': flags['fleet-sizes'] ?? process.env.BENCH_FLEET_SIZES,
  profile: flags.profile ?? envFlag('BENCH_PROFILE'),
  quick: flags.quick ?? envFlag('BENCH_QUICK'),
  keep: flags.keep ?? envFlag('BENCH_KEEP'),
}

const selected =
  values.only === undefined
    ? Object.keys(BENCHMARKS).filter((name) => BENCHMARKS[name]?.named !== true)
    : Object.keys(BENCHMARKS).filter((name) => values.only?.split(',').some((s) => s.trim() === name))
const unknown = (values.only ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '' && !(s in BENCHMARKS))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}\n`)
  process.exit(2)
}
const fleetSizes = (values['fleet-sizes'] ?? '100,500,1000').split(',').map((s) => Number(s.trim()))
if (fleetSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
  process.stderr.write('--fleet-sizes takes whole numbers from 1 to 5000, comma-separated\n')
  process.exit(2)
}

/** The gateway is usable when its server and the routes the benchmarks drive are in its OpenAPI document. */
function gatewayReadiness(): { ready: boolean; why: string } {
  const doc = join(repoRoot, 'services/gateway/openapi.json')
  if (!existsSync(join(repoRoot, 'services/gateway/src/server.ts')) || !existsSync(doc)) {
    return { ready: false, why: 'services/gateway has no server.ts or openapi.json yet' }
  }
  const paths = (JSON.parse(readFileSync(doc, 'utf8')) as { paths?: Record<string, unknown> }).paths ?? {}
  const needed = ['/v1/clusters', '/v1/handshakes', '/v1/handshakes/{id}', '/v1/handshakes/{id}/events']
  const missing = needed.filter((p) => !(p in paths))
  return missing.length === 0
    ? { ready: true, why: '' }
    : { ready: false, why: `the gateway's openapi.json lacks ${missing.join(', ')}` }
}

function gitDescribe(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' })
    return { commit, dirty: status.trim() !== '' }
  } catch {
    return { commit: null, dirty: null }
  }
}

const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100)
const started = performance.now()
const startedAt = new Date()
const dir = mkdtempSync(join(tmpdir(), 'vault-dr-bench-'))
const log = (message: string) => {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6)
  process.stdout.write(`[${s}s] ${message}\n`)
}
const ctx: BenchContext = {
  dir,
  deadline: started + BUDGET_MS,
  profile: values.profile,
  quick: values.quick,
  fleetSizes,
  log,
}

/** The row of a benchmark that measured nothing: not run, or failed. */
function unmeasured(name: string, verdict: string): Row {
  return { benchmark: name, measured: { value: null, unit: '' }, baseline: null, ratio: null, target: '—', verdict }
}

log(`scratch folder ${dir}; benchmarks: ${selected.join(', ')}`)
const gatewayState = gatewayReadiness()
const outcomes: BenchOutcome[] = []
for (const name of selected) {
  const bench = BENCHMARKS[name]!
  const t0 = performance.now()
  if (bench.needsGateway && !gatewayState.ready) {
    log(`${name}: skipped (${gatewayState.why})`)
    outcomes.push({ name, rows: [unmeasured(name, `not run: ${gatewayState.why}`)], notes: [], details: {} })
    continue
  }
  log(`${name}: start`)
  try {
    const outcome = await bench.run(ctx)
    outcome.durationMs = Math.round(performance.now() - t0)
    outcomes.push(outcome)
    log(`${name}: done in ${(outcome.durationMs / 1000).toFixed(1)} s`)
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? String(err)
    log(`${name}: error: ${(err as Error).stack ?? message}`)
    outcomes.push({
      name,
      rows: [unmeasured(name, `error: ${message}`)],
      notes: [],
      details: { error: (err as Error).stack ?? message },
      durationMs: Math.round(performance.now() - t0),
    })
  }
}

const durationMs = Math.round(performance.now() - started)
const rows = outcomes.flatMap((o) => o.rows)
const table = renderTable(rows)
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))
mkdirSync(resultsDir, { recursive: true })
const stamp = startedAt
  .toISOString()
  .replaceAll(':', '-')
  .replace(/\.\d+Z$/, 'Z')
const report = {
  started_at: startedAt.toISOString(),
  duration_ms: durationMs,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? null,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load_average_at_start: loadAtStart,
    load_average_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
  },
  git: gitDescribe(),
  rows,
  benchmarks: outcomes,
  table,
  scratch: values.keep ? dir : null,
}
const json = `${JSON.stringify(report, null, 2)}\n`
writeFileSync(join(resultsDir, `${stamp}.json`), json)
writeFileSync(join(resultsDir, 'latest.json'), json)
if (!values.keep) rmSync(dir, { recursive: true, force: true })

process.stdout.write('\n')
for (const o of outcomes) {
  if (o.notes.length === 0) continue
  process.stdout.write(`${o.name}:\n${o.notes.map((n) => `  - ${n}`).join('\n')}\n`)
}
process.stdout.write(`\n${table}\n\n`)
process.stdout.write(
  `run took ${(durationMs / 1000).toFixed(1)} s; results in bench/results/${stamp}.json and bench/results/latest.json${values.keep ? `; scratch kept in ${dir}` : ''}\n`,
)
process.exit(0)
