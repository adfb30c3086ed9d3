import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { CliError } from '../src/exit-codes.ts'
import { followOperation } from '../src/follow-operation.ts'
import type { OpenEvents } from '../src/gateway-events.ts'
import { waitBeforeAgainMs } from '../src/gateway-unreachable.ts'
import { runCli } from '../src/main.ts'
import { createOutput, problemOf, retryAfterMs } from '../src/output.ts'
import { json, type Operation, operation, opStep, type RawRoute, sse, startRawGateway } from './operation-fixtures.ts'
import { capture } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('operation commands: arguments refused before the gateway is asked (exit 2)', () => {
  it.each([
    [['switchover'], '--to is required'],
    [['switchover', '--to', 'dc2', '--hold', '5m'], '"switchover" does not take --hold'],
    [['switchover', '--to', 'dc2', '--catch-up-timeout', 'soon'], '--catch-up-timeout is a duration such as 90s'],
    [['switchover', '--to', 'dc2', '--dry-run', '--follow'], '--dry-run changes nothing'],
    [['drill', '--to', 'dc2'], '--hold is required'],
    [['drill', '--to', 'dc2', '--hold', '5 minutes'], '--hold is a duration such as 90s, 5m or 1h, not "5 minutes"'],
    // A value led by a dash is judged by the option's own check, not called ambiguous by the parser.
    [['drill', '--to', 'dc2', '--hold', '-5s'], '--hold is a duration such as 90s, 5m or 1h, not "-5s"'],
    [['operations', 'list', '--limit', '-1'], '--limit is a whole number from 1 to 500, not "-1"'],
    [['switchover', '--to', '--dry-run'], "Option '--to' argument is ambiguous"],
    [['drill', '--to', 'dc2', '--hold', '--'], "Option '--hold' argument is ambiguous"],
    [['failover', '--to', 'dc2', '--down-for', '30'], '--down-for is a duration'],
    [['failover', '--to', 'dc2', '--hold', '1s'], '"failover" does not take --hold'],
    [['rejoin'], '<old-primary> is required'],
    [['rejoin', 'dc1', 'dc2'], 'does not take the argument dc2'],
    [['operations', 'list', '--kind', 'backup'], '--kind is one of handshake, switchover, drill, failover, rejoin'],
    [['operations', 'list', '--limit', '0'], '--limit is a whole number from 1 to 500, not "0"'],
    [['operations', 'list', '--state', 'done'], '--state is one of'],
    [['operations', 'show'], '<id> is required'],
    [['operations'], '"operations" needs a command'],
    [['failover', '--to', 'dc1', '--to', 'dc2'], '--to is given twice (dc1, dc2): give it once'],
    [['switchover', '--to=dc2', '--to', 'dc3', '--dry-run'], '--to is given twice (dc2, dc3)'],
  ])('%j: %s', async (argv, message) => {
    const io = capture()
    expect(await runCli(argv, { VAULT_DR_API_TOKEN: 't', VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:9' })).toBe(2)
    expect(io.err()).toContain(message)
    expect(io.out()).toBe('')
  })
})

/** A drill's report: its two legs dc1 → dc2 → dc1 with their RTOs, a hold from 10:00:01 for `heldS`, no verdict. */
function drillReport(o: {
  rto: [number, number]
  checks: number
  refused: number
  heldS: number
  warnings?: string[]
}) {
  const at = (s: number) => new Date(Date.parse('2026-12-04T10:00:00.000Z') + s * 1000).toISOString()
  return {
    legs: [
      { from: 'dc1', to: 'dc2', rto_ms: o.rto[0], rpo_wals: 0 },
      { from: 'dc2', to: 'dc1', rto_ms: o.rto[1], rpo_wals: 0 },
    ],
    hold: {
      started_at: at(1),
      until: at(1 + o.heldS),
      checks: o.checks,
      refused: o.refused,
      ended_at: at(1 + o.heldS),
      cut_short: false,
    },
    warnings: o.warnings ?? [],
    checks_warned: [],
    started_at: at(0),
    ended_at: at(2 + o.heldS),
  } as Record<string, unknown>
}

const SWITCH_PLAN = {
  ok: false,
  from: 'dc1',
  to: 'dc2',
  followers: [{ cluster: 'dc1', secondary_id: 'dc1' }],
  steps: ['preflight', 'demote_primary', 'wait_caught_up'],
  checks: [
    { name: 'both_up', status: 'pass', code: 'OK', detail: 'both answer', fix: null },
    { name: 'dr_token', status: 'fail', code: 'NO_DR_TOKEN', detail: 'no DR operation token', fix: 'rotate one' },
  ],
  what_happens: ['dc1 is demoted'],
}

const FAILOVER_PLAN = {
  primary: 'dc1',
  secondary: 'dc2',
  allowed: false,
  refusal: { code: 'PRIMARY_HEALTHY', detail: 'dc1 answers and takes writes', fix: 'Use a switchover.' },
  primary_verdict: 'healthy',
  vantage_points: [
    { point: 'gateway_to_primary_agent', reaches: true, since: '2026-12-04T09:00:00.000Z', detail: 'answers' },
    { point: 'secondary_vault_stream', reaches: null, since: '2026-12-04T09:30:00.000Z', detail: 'no heartbeat yet' },
  ],
  data_loss: {
    wals: 0,
    primary_last_wal: 41,
    secondary_last_remote_wal: 41,
    comparison_age_s: 2,
    detail: 'dc2 has every WAL',
  },
  dr_operation_token: {
    source: 'kept',
    kept: {
      issued_at: '2026-12-04T09:00:00.000Z',
      expires_at: '2026-12-04T17:00:00.000Z',
      rotate_at: '2026-12-04T13:00:00.000Z',
      remaining_s: 25_000,
      previous_expires_at: null,
      primary_cluster_id: 'c1',
    },
    ceremony_created_at: null,
  },
  followers: ['dc3'],
  fencing: ['dc1 recorded as fenced at the next epoch'],
  steps: ['preflight', 'promote_secondary', 'fence_old_primary'],
  items: [
    {
      name: 'primary_down',
      status: 'fail',
      code: 'PRIMARY_HEALTHY',
      detail: 'dc1 is healthy',
      fix: 'Use a switchover.',
    },
    { name: 'data_loss', status: 'pass', code: 'OK', detail: 'none', fix: null },
    { name: 'dr_token', status: 'warn', code: 'DR_TOKEN_SHORT', detail: 'expires soon', fix: 'Rotate it.' },
  ],
  pair: {},
}

describe('operation commands against a stand-in gateway', () => {
  const routes: Record<string, RawRoute> = {}
  let gateway: Awaited<ReturnType<typeof startRawGateway>>
  beforeAll(async () => {
    gateway = await startRawGateway(routes)
  })
  afterAll(() => gateway.close())
  beforeEach(() => {
    gateway.seen.length = 0
    for (const key of Object.keys(routes)) delete routes[key]
  })

  it('switchover --dry-run posts the plan request with the options and prints steps, checks and fixes; exit 1 when a check fails', async () => {
    routes['POST /v1/switchovers/plan'] = (_, res) => json(res, 200, SWITCH_PLAN)
    const io = capture()
    const argv = ['switchover', '--to', 'dc2', '--from', 'dc1', '--catch-up-timeout', '90s', '--dry-run']
    expect(await runCli(argv, gateway.env)).toBe(1)
    expect(gateway.seen[0]?.body).toEqual({ to: 'dc2', from: 'dc1', catch_up_timeout: '90s' })
    const text = io.out()
    expect(text).toContain('switchover plan: dc1 → dc2 (dry run, nothing changed)')
    expect(text).toContain('2. demote_primary')
    expect(text).toMatch(/✘\s+dr_token\s+NO_DR_TOKEN/)
    expect(text).toContain('fix (dr_token): rotate one')
    expect(text).toContain('the switchover would be refused')
    routes['POST /v1/switchovers/plan'] = (_, res) => json(res, 200, { ...SWITCH_PLAN, ok: true, checks: [] })
    expect(await runCli([...argv, '--json'], gateway.env)).toBe(0)
  })

  it('drill --dry-run posts the plan request with hold and interval and prints both legs, the hold and the checks; exit 1 when a check fails', async () => {
    const plan = {
      ...SWITCH_PLAN,
      hold: '5m',
      check_interval: '30s',
      steps: ['preflight', 'out.demote_primary', 'hold', 'back.demote_primary'],
      what_happens: ['demote dc1', 'hold for 5m', 'demote dc2'],
    }
    routes['POST /v1/drills/plan'] = (_, res) => json(res, 200, plan)
    const io = capture()
    const argv = ['drill', '--to', 'dc2', '--hold', '5m', '--check-interval', '30s', '--dry-run']
    expect(await runCli(argv, gateway.env)).toBe(1)
    expect(gateway.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v1/drills/plan'])
    expect(gateway.seen[0]?.body).toEqual({ to: 'dc2', hold: '5m', check_interval: '30s' })
    const text = io.out()
    expect(text).toContain(
      'drill plan: dc1 → dc2 → dc1, holding 5m (a write check every 30s) (dry run, nothing changed)',
    )
    expect(text).toContain('followers of dc2 during the hold: dc1 (id dc1)')
    expect(text).toContain('3. hold')
    expect(text).toMatch(/✘\s+dr_token\s+NO_DR_TOKEN/)
    expect(text).toContain('the drill would be refused: a check failed')
    routes['POST /v1/drills/plan'] = (_, res) => json(res, 200, { ...plan, ok: true, checks: [] })
    expect(await runCli([...argv, '--json'], gateway.env)).toBe(0)
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '')).toMatchObject({ ok: true, hold: '5m' })
  })

  it('names the options a refusal other than a validation error points at (a cluster named twice, unknown)', async () => {
    const same = {
      type: 'about:blank',
      title: 'Primary and secondary are the same cluster',
      status: 400,
      code: 'GATEWAY_ERR_SAME_CLUSTER',
      detail: 'body/secondary names dc1, the cluster body/primary names',
      errors: [{ path: 'body/secondary', message: 'names the same cluster as body/primary' }],
    }
    routes['POST /v1/preflight'] = (_, res) => json(res, 400, same)
    const io = capture()
    expect(await runCli(['preflight', '--primary', 'dc1', '--secondary', 'dc1'], gateway.env)).toBe(3)
    expect(io.err()).toContain('--secondary names dc1, the cluster --primary names')
    expect(io.err()).toContain('  --secondary: names the same cluster as --primary')
    expect(io.err()).not.toContain('body/')
  })

  it("names the options the gateway found invalid, and tells its fixes in the CLI's words", async () => {
    const invalid = {
      type: 'about:blank',
      title: 'The request is not valid',
      status: 400,
      code: 'CORE_ERR_VALIDATION',
      detail: 'Invalid body/hold: must be at most 1h',
      errors: [{ path: 'body/hold', message: 'must be at most 1h' }],
    }
    routes['POST /v1/drills'] = (_, res) => json(res, 400, invalid)
    const io = capture()
    // A value only the gateway can judge out of range is a usage error all the same (2), not a refusal (3).
    expect(await runCli(['drill', '--to', 'dc2', '--hold', '2h'], gateway.env)).toBe(2)
    expect(io.err()).toContain('error: The request is not valid: Invalid --hold: must be at most 1h')
    // Said once: the detail names the field with its message, so no line of its own repeats it.
    expect(io.err().match(/must be at most 1h/g)).toHaveLength(1)
    expect(io.err()).not.toContain('body/')

    const refused = {
      type: 'about:blank',
      title: 'Not a pair',
      status: 409,
      code: 'GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT',
      detail: 'dc2 did not catch up',
      fix: 'Check the replication link between the two (GET /v1/pairs/{secondary}), then try again, maybe with a longer catch_up_timeout; POST /v1/switchovers/plan re-runs the checks; name `to` and `from`.',
    }
    routes['POST /v1/switchovers'] = (_, res) => json(res, 409, refused)
    expect(await runCli(['switchover', '--to', 'dc2'], gateway.env)).toBe(3)
    expect(io.err()).toContain(
      'fix:  Check the replication link between the two ("vault-dr pairs show <secondary>"), then try again, maybe with a longer --catch-up-timeout; "vault-dr switchover --to <secondary> --dry-run" re-runs the checks; name --to and --from.',
    )
  })

  it('sends a create under an Idempotency-Key, and once more with the same key when its answer was lost', async () => {
    let asked = 0
    routes['POST /v1/switchovers'] = (_, res) => {
      // The first answer never arrives (the connection is cut after the gateway took the request).
      if (++asked === 1) res.socket?.destroy()
      else json(res, 200, operation())
    }
    const io = capture()
    expect(await runCli(['switchover', '--to', 'dc2'], gateway.env)).toBe(0)
    const keys = gateway.seen.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey)
    expect(keys).toHaveLength(2)
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys[1]).toBe(keys[0])
    expect(io.out()).toContain('switchover op-1 pending')
    // A separate command is a separate create: another key.
    expect(await runCli(['switchover', '--to', 'dc2'], gateway.env)).toBe(0)
    expect(gateway.seen.at(-1)?.idempotencyKey).not.toBe(keys[0])
  })

  it('--follow right after a create waits for a gateway that goes away at once, as it answered the create', async () => {
    const done = operation({ state: 'succeeded', steps: [opStep('preflight', 'succeeded', 'checks passed')] })
    routes['POST /v1/switchovers'] = (_, res) => json(res, 202, operation())
    let connections = 0
    routes['GET /v1/operations/op-1/events'] = (_, res) => {
      // The gateway restarts right after its 202: the first connection to the stream is cut.
      if (++connections === 1) res.socket?.destroy()
      else
        sse(
          res,
          [
            { event: 'snapshot', data: done },
            { id: 2, event: 'done', data: done },
          ],
          true,
        )
    }
    const io = capture()
    expect(await runCli(['switchover', '--to', 'dc2', '--follow'], gateway.env)).toBe(0)
    expect(connections).toBe(2)
    expect(io.out()).toContain('switchover op-1 succeeded')
  })

  it.each([
    [['switchover', '--to', 'dc2'], 'POST /v1/switchovers', 'switchover'],
    [['drill', '--to', 'dc2', '--hold', '1m'], 'POST /v1/drills', 'drill'],
    [['failover', '--to', 'dc2'], 'POST /v1/failovers', 'failover'],
    [['rejoin', 'dc1'], 'POST /v1/rejoins', 'rejoin'],
    [['handshake', 'start', '--primary', 'dc1', '--secondary', 'dc2'], 'POST /v1/handshakes', 'handshake'],
  ])(
    'Ctrl-C while %j is sent says the operation may have started and how to find it, exit 130',
    async (argv, route, kind) => {
      let asked: () => void = () => {}
      const sent = new Promise<void>((resolve) => {
        asked = resolve
      })
      // The gateway takes the create and has not answered yet when the operator presses Ctrl-C.
      routes[route] = () => asked()
      const io = capture()
      const exited = new Promise<number>((resolve) => {
        vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
          resolve(code)
          return undefined as never
        }) as typeof process.exit)
      })
      void runCli(argv, gateway.env)
      await sent
      process.emit('SIGINT')
      expect(await exited).toBe(130)
      expect(io.err()).toContain(`interrupted while the gateway was asked to start the ${kind}: it may have started`)
      expect(io.err()).toContain(`vault-dr operations list --kind ${kind}`)
      expect(process.listenerCount('SIGINT')).toBe(0)
    },
  )

  it('switchover without --follow prints the id and how to follow it; hooks go in the body', async () => {
    routes['POST /v1/switchovers'] = (_, res) => json(res, 202, operation())
    const io = capture()
    const argv = ['switchover', '--to', 'dc2', '--pre-hook-url', 'https://hooks.example/pre']
    expect(await runCli(argv, gateway.env)).toBe(0)
    expect(gateway.seen[0]?.body).toEqual({ to: 'dc2', pre_hook_url: 'https://hooks.example/pre' })
    expect(io.out()).toBe('switchover op-1 pending: dc1 → dc2\nfollow it with: vault-dr operations follow op-1\n')
  })

  it('switchover --follow prints each step once from the event stream, resumes after a drop with Last-Event-ID, exit 0', async () => {
    const running = operation({
      state: 'running',
      steps: [opStep('preflight', 'running'), opStep('demote_primary', 'pending')],
    })
    const done = operation({
      state: 'succeeded',
      steps: [opStep('preflight', 'succeeded', 'checks passed'), opStep('demote_primary', 'succeeded', 'demoted')],
      result: { write_unavailable_ms: 812, wals_lost: 0, warnings: [] },
    })
    routes['POST /v1/switchovers'] = (_, res) => json(res, 202, operation())
    let connections = 0
    const resumedAfter: Array<string | undefined> = []
    routes['GET /v1/operations/op-1/events'] = (req, res) => {
      connections++
      if (connections === 1) {
        // The stream drops after two events, before the operation finishes.
        sse(
          res,
          [
            { event: 'snapshot', data: running },
            {
              id: 3,
              event: 'step',
              data: { operation_id: 'op-1', step: opStep('preflight', 'succeeded', 'checks passed') },
            },
            { id: 4, event: 'note', data: { operation_id: 'op-1', warning: 'dc3 lags' } },
          ],
          true,
        )
        return
      }
      resumedAfter.push(req.lastEventId)
      sse(
        res,
        [
          { event: 'snapshot', data: { ...running, steps: done.steps } },
          {
            id: 5,
            event: 'step',
            data: { operation_id: 'op-1', step: opStep('demote_primary', 'succeeded', 'demoted') },
          },
          { event: 'done', data: done },
        ],
        true,
      )
    }
    const io = capture()
    expect(await runCli(['switchover', '--to', 'dc2', '--follow'], gateway.env)).toBe(0)
    expect(connections).toBe(2)
    expect(resumedAfter).toEqual(['4'])
    const text = io.out()
    expect(text).toContain('following switchover op-1')
    expect(text.match(/✔ preflight/g)).toHaveLength(1)
    expect(text.match(/✔ demote_primary/g)).toHaveLength(1)
    expect(text).toContain('    warning: dc3 lags')
    expect(text).toContain('switchover op-1 succeeded\n  writes refused for 812 ms\n  WALs lost: 0')
    expect(io.err()).toContain('the event stream was lost; resuming after event 4')
  })

  it('--follow --json prints one JSON line per event and exits 1 when the operation failed', async () => {
    const failed = operation({
      state: 'failed',
      steps: [opStep('preflight', 'failed')],
      error: { code: 'NOT_CAUGHT_UP', detail: 'dc2 stayed behind', fix: 'Promote dc1 back.' },
    })
    routes['POST /v1/drills'] = (_, res) => json(res, 202, operation({ kind: 'drill' }))
    routes['GET /v1/operations/op-1/events'] = (_, res) =>
      sse(
        res,
        [
          { event: 'snapshot', data: operation({ kind: 'drill' }) },
          { id: 2, event: 'step', data: { operation_id: 'op-1', step: opStep('preflight', 'failed') } },
          { event: 'done', data: { ...failed, kind: 'drill' } },
        ],
        true,
      )
    const io = capture()
    const argv = ['drill', '--to', 'dc2', '--hold', '1s', '--check-interval', '1s', '--follow', '--json']
    expect(await runCli(argv, gateway.env)).toBe(1)
    expect(gateway.seen[0]?.body).toEqual({ to: 'dc2', hold: '1s', check_interval: '1s' })
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.event)).toEqual(['step', 'finished'])
    expect(lines[1].operation.error.code).toBe('NOT_CAUGHT_UP')
  })

  it('a followed drill that succeeded but whose report found a fault prints the findings and exits 1', async () => {
    const report = drillReport({ rto: [40, 35], checks: 5, refused: 2, heldS: 5 })
    Object.assign(report, { verdict: 'failed', findings: ['dc2 refused 2 of 5 write checks during the hold'] })
    const done = operation({ kind: 'drill', state: 'succeeded', result: { report } })
    routes['POST /v1/drills'] = (_, res) => json(res, 202, operation({ kind: 'drill' }))
    routes['GET /v1/operations/op-1/events'] = (_, res) =>
      sse(
        res,
        [
          { event: 'snapshot', data: operation({ kind: 'drill' }) },
          { event: 'done', data: done },
        ],
        true,
      )
    const io = capture()
    expect(await runCli(['drill', '--to', 'dc2', '--hold', '5s', '--follow'], gateway.env)).toBe(1)
    expect(io.out()).toContain('drill report (2026-12-04T10:00:00.000Z to 2026-12-04T10:00:07.000Z): failed')
    expect(io.out()).toContain('found: dc2 refused 2 of 5 write checks during the hold')
    // The same drill passed: exit 0.
    report.verdict = 'passed'
    report.findings = []
    expect(await runCli(['drill', '--to', 'dc2', '--hold', '5s', '--follow'], gateway.env)).toBe(0)
  })

  it('a drill that failed before its way back says its report is unfinished because it ended early, not "to ?"', async () => {
    const report = {
      ...drillReport({ rto: [40, 0], checks: 0, refused: 0, heldS: 0 }),
      legs: [{ from: 'dc1', to: 'dc2', rto_ms: null, rpo_wals: null }],
      hold: null,
      ended_at: null,
      verdict: 'unfinished',
      findings: [],
    }
    const failed = operation({ kind: 'drill', state: 'failed', result: { report } })
    routes['GET /v1/operations/op-1'] = (_, res) => json(res, 200, failed)
    const io = capture()
    // A read: exit 0 whatever the state it shows.
    expect(await runCli(['operations', 'show', 'op-1'], gateway.env)).toBe(0)
    expect(io.out()).toContain(
      'drill report (2026-12-04T10:00:00.000Z to its end): unfinished (the drill ended before its way back)',
    )
    expect(io.out()).not.toContain('to ?')
  })

  it("a drill whose way back was undone shows that leg's window and no loss, and says it was undone", async () => {
    const report = {
      ...drillReport({ rto: [40, 0], checks: 3, refused: 0, heldS: 5 }),
      legs: [
        { from: 'dc1', to: 'dc2', rto_ms: 40, rpo_wals: 0 },
        { from: 'dc2', to: 'dc1', rto_ms: 5704, rpo_wals: 0, undone: true },
      ],
      ended_at: null,
      verdict: 'unfinished',
      findings: ['dc2 → dc1 failed and was undone: dc2 took writes again after 5704 ms, nothing lost'],
    }
    routes['GET /v1/operations/op-1'] = (_, res) =>
      json(res, 200, operation({ kind: 'drill', state: 'failed', result: { report } }))
    const io = capture()
    expect(await runCli(['operations', 'show', 'op-1'], gateway.env)).toBe(0)
    expect(io.out()).toContain(
      'leg 2 dc2 → dc1: writes refused 5704 ms (RTO), WALs lost 0 (RPO), undone (dc2 promoted back)',
    )
    expect(io.out()).toContain('found: dc2 → dc1 failed and was undone')
  })

  it('a follow of an unknown operation is the gateway’s refusal: exit 3, not a retry', async () => {
    routes['GET /v1/operations/nope/events'] = (_, res) =>
      json(res, 404, { code: 'GATEWAY_ERR_OPERATION_NOT_FOUND', detail: 'No operation nope', status: 404 })
    const io = capture()
    expect(await runCli(['operations', 'follow', 'nope'], gateway.env)).toBe(3)
    expect(io.err()).toContain('No operation nope')
    expect(io.err()).toContain('vault-dr operations list')
  })

  it('failover --dry-run prints every vantage point with since, the loss, the token source, fencing, followers, steps and items; exit 1 when refused', async () => {
    routes['POST /v1/failovers/plan'] = (_, res) => json(res, 200, FAILOVER_PLAN)
    const io = capture()
    expect(await runCli(['failover', '--to', 'dc2', '--down-for', '2s', '--dry-run'], gateway.env)).toBe(1)
    expect(gateway.seen[0]?.body).toEqual({ to: 'dc2', down_for: '2s', allow_data_loss: false })
    const text = io.out()
    for (const expected of [
      'failover plan: dc1 → dc2 (dry run, nothing changed)',
      'primary dc1: healthy',
      'gateway_to_primary_agent',
      '2026-12-04T09:00:00.000Z',
      'secondary_vault_stream    unknown',
      "estimated data loss: 0 WAL(s) (primary's last WAL 41, secondary's last remote WAL 41, compared 2 s ago)",
      'DR operation token: the kept one, valid until 2026-12-04T17:00:00.000Z (25000 s left) (never shown)',
      '  - dc1 recorded as fenced at the next epoch',
      'followers (re-pointed to dc2): dc3',
      '3. fence_old_primary',
      'fix (primary_down): Use a switchover.',
      'fix (dr_token, warning): Rotate it.',
      'a failover would be refused: PRIMARY_HEALTHY: dc1 answers and takes writes',
    ])
      expect(text).toContain(expected)
    expect(text).toMatch(/✘\s+primary_down\s+PRIMARY_HEALTHY/)
    routes['POST /v1/failovers/plan'] = (_, res) => json(res, 200, { ...FAILOVER_PLAN, allowed: true, refusal: null })
    expect(await runCli(['failover', '--to', 'dc2', '--allow-data-loss', '--dry-run', '--json'], gateway.env)).toBe(0)
    expect(gateway.seen[1]?.body).toEqual({ to: 'dc2', allow_data_loss: true })
  })

  it('failover refused by the gateway prints its code, detail and fix, exit 3', async () => {
    routes['POST /v1/failovers'] = (_, res) =>
      json(res, 409, {
        code: 'GATEWAY_ERR_FAILOVER_REFUSED',
        title: 'The failover was refused before anything changed',
        detail: 'DATA_LOSS: the secondary lacks 2 WAL(s)',
        fix: 'Bring the primary back if you can (nothing is lost then), or fail over knowingly with allow_data_loss: true (vault-dr failover --to <secondary> --allow-data-loss).',
        status: 409,
      })
    const io = capture()
    expect(await runCli(['failover', '--to', 'dc2'], gateway.env)).toBe(3)
    expect(io.err()).toContain('DATA_LOSS: the secondary lacks 2 WAL(s)')
    expect(io.err()).toContain('code: GATEWAY_ERR_FAILOVER_REFUSED')
    expect(io.err()).toContain('fix:  Bring the primary back if you can')
    expect(io.err()).toContain('vault-dr failover --to <secondary> --allow-data-loss')
  })

  it('rejoin posts the old primary and prints the operation', async () => {
    const rejoin = operation({ kind: 'rejoin', subject: { cluster: 'dc1', primary: 'dc2', failover_id: 'f-1' } })
    routes['POST /v1/rejoins'] = (_, res) => json(res, 202, rejoin)
    const io = capture()
    expect(await runCli(['rejoin', 'dc1'], gateway.env)).toBe(0)
    expect(gateway.seen[0]?.body).toEqual({ cluster: 'dc1' })
    expect(io.out()).toContain('rejoin op-1 pending: dc1 rejoins dc2')
  })

  it('operations list sends the filters and prints a table; show prints steps, error and a drill’s report; cancel', async () => {
    const drill: Operation = operation({
      id: 'op-2',
      kind: 'drill',
      state: 'succeeded',
      subject: { from: 'dc1', to: 'dc2', hold: '1s' },
      steps: [opStep('out.demote_primary', 'succeeded', 'demoted'), opStep('hold', 'succeeded', 'held')],
      result: {
        report: drillReport({ rto: [640, 590], checks: 2, refused: 0, heldS: 1, warnings: ['post-hook answered 500'] }),
      },
    })
    const faulty: Operation = operation({
      id: 'op-3',
      kind: 'drill',
      state: 'succeeded',
      subject: { from: 'dc1', to: 'dc2', hold: '1s' },
      steps: [opStep('out.demote_primary', 'succeeded', 'demoted'), opStep('hold', 'succeeded', 'held')],
      result: {
        report: {
          ...drillReport({ rto: [640, 590], checks: 2, refused: 1, heldS: 1 }),
          verdict: 'failed',
          findings: ['dc2 refused 1 of 2 write checks during the hold'],
        },
      },
    })
    const threeWay = operation({ id: 'op-4', clusters: ['dc1', 'dc2', 'dc3'] })
    routes['GET /v1/operations'] = (_, res) => json(res, 200, { operations: [drill, faulty, operation(), threeWay] })
    routes['GET /v1/operations/op-2'] = (_, res) => json(res, 200, drill)
    routes['POST /v1/operations/op-1/cancel'] = (_, res) => json(res, 202, operation({ cancel_requested: true }))
    const io = capture()
    const list = ['operations', 'list', '--kind', 'drill', '--state', 'succeeded', '--cluster', 'dc2', '--limit', '5']
    expect(await runCli(list, gateway.env)).toBe(0)
    expect(gateway.seen[0]?.url).toBe('/v1/operations?kind=drill&state=succeeded&cluster=dc2&limit=5')
    expect(io.out()).toMatch(/op-2\s+drill\s+succeeded\s+dc1 → dc2\s+hold/)
    // A drill that found a fault succeeded as an operation: the list tells it from one that passed.
    expect(io.out()).toMatch(/op-4\s+switchover\s+\w+\s+dc1 → dc2, dc3\s/)
    expect(io.out()).toMatch(/op-3\s+drill\s+succeeded \(verdict failed\)\s+dc1 → dc2\s+hold/)
    expect(await runCli(['operations', 'show', 'op-2'], gateway.env)).toBe(0)
    expect(await runCli(['operations', 'cancel', 'op-1'], gateway.env)).toBe(0)
    const text = io.out()
    expect(text).toContain('drill op-2: dc1 → dc2 and back after 1s: succeeded')
    expect(text).toContain('leg 1 dc1 → dc2: writes refused 640 ms (RTO), WALs lost 0 (RPO)')
    expect(text).toContain('leg 2 dc2 → dc1: writes refused 590 ms (RTO), WALs lost 0 (RPO)')
    expect(text).toContain('2 write checks, 0 refused')
    expect(text).toContain('warning: post-hook answered 500')
    expect(text).toContain('switchover op-1: cancel requested (state pending)')
    expect(text).toContain('it stops before its next step; nothing past its point of no return has started')
    expect(text).toContain('follow it to its end: vault-dr operations follow op-1')
  })

  it('operations cancel says a switchover past its demote will not stop but runs to a safe end', async () => {
    const steps = [
      opStep('preflight', 'succeeded'),
      opStep('demote_primary', 'succeeded'),
      opStep('wait_catch_up', 'running'),
    ]
    routes['POST /v1/operations/op-1/cancel'] = (_, res) =>
      json(res, 202, operation({ state: 'running', cancel_requested: true, past_point_of_no_return: true, steps }))
    const io = capture()
    expect(await runCli(['operations', 'cancel', 'op-1'], gateway.env)).toBe(0)
    expect(io.out()).toContain(
      'it will not stop: it is past its point of no return (now at wait_catch_up), so it runs to a safe end',
    )
    expect(io.out()).not.toContain('it stops before its next step')
  })

  it('operations list says an empty list in words, and that a cluster filter names no registered cluster', async () => {
    routes['GET /v1/operations'] = (_, res) => json(res, 200, { operations: [] })
    routes['GET /v1/clusters'] = (_, res) => json(res, 200, { clusters: [{ name: 'dc1' }, { name: 'dc2' }] })
    const io = capture()
    expect(await runCli(['operations', 'list', '--state', 'running'], gateway.env)).toBe(0)
    expect(await runCli(['operations', 'list', '--cluster', 'dc2'], gateway.env)).toBe(0)
    expect(await runCli(['operations', 'list', '--kind', 'drill', '--cluster', 'dc9'], gateway.env)).toBe(0)
    expect(io.out().split('\n')).toEqual([
      'no operations with state running',
      'no operations with cluster dc2',
      'no operations with kind drill, cluster dc9; dc9 is not a registered cluster (registered: dc1, dc2)',
      '',
    ])
    // Only a cluster filter with an empty answer made the gateway list its clusters.
    expect(gateway.seen.filter((r) => r.url === '/v1/clusters?live=false')).toHaveLength(2)
  })
})

describe('following an operation whose gateway stays away', () => {
  it('gives up after the reconnect window with the unreachable gateway’s error (exit 4), saying once that it lost the stream', async () => {
    let attempts = 0
    const snapshot = `event: snapshot\ndata: ${JSON.stringify(operation())}\n\n`
    // The stream opens, then the gateway goes away for good: every later connection is refused.
    const goneAfterFirst = async () => {
      attempts++
      if (attempts === 1) {
        const body = (async function* () {
          yield new TextEncoder().encode(snapshot)
        })()
        return { status: 200 as const, body }
      }
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
    }
    const io = capture()
    const failure = await followOperation(goneAfterFirst, createOutput(false), 'op-1', {
      baseUrl: 'http://127.0.0.1:9',
      reconnectForMs: 200,
      retryEveryMs: 20,
    }).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(CliError)
    expect((failure as CliError).exitCode).toBe(4)
    expect((failure as CliError).report.code).toBe('CLI_ERR_GATEWAY_UNREACHABLE')
    // The first, and at least two refused retries (the window is looked at only after a retry's wait).
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(io.err().match(/the event stream was lost/g)).toHaveLength(1)
  })

  it('ends at once when the gateway was never reached, or its certificate or name will not do', async () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      let attempts = 0
      const failing = async () => {
        attempts++
        throw Object.assign(new Error(`connect ${code}`), { code })
      }
      capture()
      const failure = await followOperation(failing, createOutput(false), 'op-1', {
        baseUrl: 'https://127.0.0.1:9',
        reconnectForMs: 60_000,
        retryEveryMs: 20,
      }).catch((err: unknown) => err)
      expect((failure as CliError).exitCode, code).toBe(4)
      expect(attempts, code).toBe(1)
    }
  })
})

describe('following an operation through the gateway’s rate limit', () => {
  it('waits as long as a 429’s Retry-After says before opening the stream again, then goes on', async () => {
    const done = operation({ state: 'succeeded', steps: [opStep('preflight', 'succeeded', 'checks passed')] })
    const opened: number[] = []
    const limitedOnce: OpenEvents = async () => {
      opened.push(performance.now())
      if (opened.length === 1) return { status: 429, problem: { code: 'CORE_ERR_RATE_LIMITED' }, retryAfter: '1' }
      const body = (async function* () {
        yield new TextEncoder().encode(`id: 2\nevent: done\ndata: ${JSON.stringify(done)}\n\n`)
      })()
      return { status: 200 as const, body }
    }
    capture()
    const op = await followOperation(limitedOnce, createOutput(false), 'op-1', {
      baseUrl: 'http://127.0.0.1:9',
      retryEveryMs: 20,
    })
    expect(op.state).toBe('succeeded')
    expect(opened).toHaveLength(2)
    // Not the 20 ms of its own pace: the second second the gateway asked for.
    expect((opened[1] ?? 0) - (opened[0] ?? 0)).toBeGreaterThanOrEqual(990)
  })

  it('reads Retry-After as delay-seconds or an HTTP date, and never waits more than 30 s on it', () => {
    const now = Date.parse('2026-12-06T10:00:00Z')
    expect(retryAfterMs('5', now)).toBe(5_000)
    expect(retryAfterMs('Sun, 06 Dec 2026 10:00:07 GMT', now)).toBe(7_000)
    expect(retryAfterMs('Sun, 06 Dec 2026 09:59:00 GMT', now)).toBe(0)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
    const limited = (after: string) => problemOf(429, { code: 'CORE_ERR_RATE_LIMITED' }, after)
    expect(waitBeforeAgainMs(limited('2'), 500)).toBe(2_000)
    expect(waitBeforeAgainMs(limited('0'), 500)).toBe(500)
    expect(waitBeforeAgainMs(limited('3600'), 500)).toBe(30_000)
    expect(waitBeforeAgainMs(new Error('reset'), 500)).toBe(500)
  })
})
