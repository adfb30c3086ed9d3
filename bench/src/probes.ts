import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { probeTcp, probeTls } from '@vault-dr/core'
import { freePort, spawnNode } from './lib/children.ts'
import { startClusterHost } from './lib/cluster-host.ts'
import type { BenchContext } from './lib/context.ts'
import { requestJson } from './lib/http.ts'
import { atMost, type BenchOutcome, fig, type Row, ratioOf, within } from './lib/result.ts'
import { startService } from './lib/services.ts'
import { summarize } from './lib/stats.ts'

const SYN_BLACKHOLE = fileURLToPath(new URL('./hosts/syn-blackhole.ts', import.meta.url))
const REFUSED_TARGET_MS = 20
const DEADLINE_MS = 1_000
const TOLERANCE = 0.1
const HOST = '127.0.0.1'

/** A raw connect() to a closed port: the floor any refused-port verdict stands on. */
function rawRefused(port: number): Promise<number> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port })
    s.once('error', () => resolve(performance.now() - t0))
    s.once('connect', () => {
      s.destroy()
      resolve(Number.NaN)
    })
  })
}

/** A TCP server that accepts and then never says a word: a black hole for the TLS step. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, HOST)
  await once(server, 'listening')
  return { server, port: (server.address() as { port: number }).port, sockets }
}

async function times(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await fn())
  return out
}

interface ProbeCheck {
  name: string
  code: string
  latency_ms: number
}

export async function probes(ctx: BenchContext): Promise<BenchOutcome> {
  const fast = ctx.quick ? 10 : 30
  const slow = ctx.quick ? 2 : 3
  const notes: string[] = []
  const refusedPort = await freePort(HOST)
  const silent = await silentServer()
  const blackhole = spawnNode('syn-blackhole', SYN_BLACKHOLE, {}, { logDir: ctx.dir, ipc: true, source: false })
  const host = await startClusterHost('probes-sim-host', ctx.dir)
  const services: Array<{ child: { stop(g?: number): Promise<void> } }> = []
  const fillers: Socket[] = []
  try {
    const [msg] = (await once(blackhole.process, 'message')) as [{ port: number }]
    const synPort = msg.port
    // Fill the black hole's accept queue (backlog 1 holds 2), so every later SYN is dropped.
    fillers.push(connect({ host: HOST, port: synPort }), connect({ host: HOST, port: synPort }))
    for (const f of fillers) f.on('error', () => {})
    await Promise.all(fillers.map((f) => once(f, 'connect')))

    const [sim] = await host.sims({ group: 'probe', offset: 0, count: 1, host: HOST, timings: {} })
    const agent = await startService('secondary-agent', {
      dir: ctx.dir,
      vault: { addr: sim!.apiUrl, token: sim!.rootToken },
    })
    services.push(agent)
    const probeViaAgent = async (apiAddr: string, clusterAddr: string) => {
      const t0 = performance.now()
      const res = await requestJson<{ checks: ProbeCheck[] }>(`${agent.url}/v1/probes/primary`, {
        token: agent.token,
        body: { api_addr: apiAddr, cluster_addrs: [clusterAddr], timeout_ms: DEADLINE_MS },
      })
      const ms = performance.now() - t0
      if (res.status !== 200) throw new Error(`probe via agent: HTTP ${res.status} ${JSON.stringify(res.body)}`)
      return { ms, checks: res.body.checks }
    }

    // Warm-up: JIT of the probe code paths here and in the agent.
    await times(5, async () => (await probeTcp({ host: HOST, port: refusedPort, timeoutMs: DEADLINE_MS })).latency_ms)
    await times(
      5,
      async () => (await probeViaAgent(`https://${HOST}:${refusedPort}`, `https://${HOST}:${refusedPort}`)).ms,
    )

    const raw = await times(fast, () => rawRefused(refusedPort))
    const direct = await times(fast, async () => {
      const t0 = performance.now()
      const r = await probeTcp({ host: HOST, port: refusedPort, timeoutMs: DEADLINE_MS })
      if (r.ok || r.failure.kind !== 'refused') throw new Error(`expected refused, got ${JSON.stringify(r)}`)
      return performance.now() - t0
    })
    let refusedCodes = ''
    const viaAgent = await times(fast, async () => {
      const r = await probeViaAgent(`https://${HOST}:${refusedPort}`, `https://${HOST}:${refusedPort}`)
      refusedCodes = r.checks.map((c) => `${c.name}=${c.code}`).join(', ')
      return r.ms
    })
    ctx.log(`probes: refused port done`)

    const synDirect = await times(slow, async () => {
      const t0 = performance.now()
      const r = await probeTcp({ host: HOST, port: synPort, timeoutMs: DEADLINE_MS })
      if (r.ok || r.failure.kind !== 'timeout') throw new Error(`expected a timeout, got ${JSON.stringify(r)}`)
      return performance.now() - t0
    })
    const tlsDirect = await times(slow, async () => {
      const t0 = performance.now()
      const r = await probeTls({ host: HOST, port: silent.port, timeoutMs: DEADLINE_MS, alpn: ['replication_dr_v1'] })
      if (r.ok || r.failure.kind !== 'timeout') throw new Error(`expected a timeout, got ${JSON.stringify(r)}`)
      return performance.now() - t0
    })
    let tlsCodes = ''
    const tlsAgent = await times(slow, async () => {
      const r = await probeViaAgent(`https://${HOST}:${silent.port}`, `https://${HOST}:${silent.port}`)
      tlsCodes = r.checks.map((c) => `${c.name}=${c.code}`).join(', ')
      return r.ms
    })
    let synCodes = ''
    const synAgent = await times(slow, async () => {
      const r = await probeViaAgent(`https://${HOST}:${synPort}`, `https://${HOST}:${synPort}`)
      synCodes = r.checks.map((c) => `${c.name}=${c.code}`).join(', ')
      return r.ms
    })
    ctx.log(`probes: black holes done`)

    const s = {
      raw: summarize(raw, 2),
      direct: summarize(direct, 2),
      viaAgent: summarize(viaAgent, 2),
      synDirect: summarize(synDirect),
      tlsDirect: summarize(tlsDirect),
      tlsAgent: summarize(tlsAgent),
      synAgent: summarize(synAgent),
    }
    const latency = (x: ReturnType<typeof summarize>) => `${x.median} ms (p99 ${x.p99})`
    const deadline = (x: ReturnType<typeof summarize>) => `${x.max} ms (max of ${x.n})`
    const deadlineRow = (benchmark: string, x: ReturnType<typeof summarize>): Row => ({
      benchmark,
      measured: fig(x.max, 'ms', deadline(x)),
      baseline: fig(DEADLINE_MS, 'ms', `${DEADLINE_MS} ms deadline`),
      ratio: ratioOf(x.max, DEADLINE_MS),
      target: `deadline ± ${TOLERANCE * 100} %`,
      verdict: [x.min, x.max].map((v) => within(v, DEADLINE_MS, TOLERANCE, 'ms')).find((v) => v !== 'met') ?? 'met',
    })
    const rows: Row[] = [
      {
        benchmark: `probes: refused port, core probeTcp (median of ${fast})`,
        measured: fig(s.direct.median, 'ms', latency(s.direct)),
        baseline: fig(s.raw.median, 'ms', `${latency(s.raw)} raw connect`),
        ratio: ratioOf(s.direct.median, s.raw.median),
        target: `< ${REFUSED_TARGET_MS} ms`,
        verdict: atMost(s.direct.p99, REFUSED_TARGET_MS, 'ms (p99)'),
      },
      {
        benchmark: `probes: refused port, agent POST /v1/probes/primary (median of ${fast})`,
        measured: fig(s.viaAgent.median, 'ms', latency(s.viaAgent)),
        baseline: fig(s.direct.median, 'ms', `${latency(s.direct)} probeTcp`),
        ratio: ratioOf(s.viaAgent.median, s.direct.median),
        target: `< ${REFUSED_TARGET_MS} ms`,
        verdict: atMost(s.viaAgent.p99, REFUSED_TARGET_MS, 'ms (p99)'),
      },
      deadlineRow('probes: TCP black hole (SYN dropped), core probeTcp', s.synDirect),
      deadlineRow('probes: TLS black hole (accepts, never answers), core probeTls', s.tlsDirect),
      deadlineRow('probes: SYN-drop black hole via agent (api + cluster addr)', s.synAgent),
      deadlineRow('probes: TLS black hole via agent (api + cluster addr)', s.tlsAgent),
    ]
    notes.push(
      `refused: a loopback port bound and released; verdict on p99 < ${REFUSED_TARGET_MS} ms; agent checks: ${refusedCodes}`,
      `black holes with a ${DEADLINE_MS} ms deadline (timeout_ms for the agent), verdict on every sample within ± ${TOLERANCE * 100} %: a TLS black hole is a TCP server that accepts and never answers (agent checks: ${tlsCodes}); a pure TCP black hole (SYN dropped) needs no root here: a listener with backlog 1 in a process that never accepts, its accept queue filled first, so the kernel drops later SYNs (agent checks: ${synCodes})`,
      'the agent runs api and cluster paths concurrently, each network step with its own deadline: the verdict for black holes on both paths is one deadline (plus the fast TCP connect where it succeeds)',
    )
    return { name: 'probes', rows, notes, details: { deadlineMs: DEADLINE_MS, ...s } }
  } finally {
    await Promise.all(services.map((x) => x.child.stop()))
    await host.shutdown()
    for (const socket of silent.sockets) socket.destroy()
    silent.server.close()
    blackhole.process.kill('SIGKILL')
    for (const f of fillers) f.destroy()
  }
}
