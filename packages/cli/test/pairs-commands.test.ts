import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/main.ts'
import { type Answer, capture, problem, type Route, startStandInGateway } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

const cluster = (name: string, mode: string, state: string) => ({
  name,
  agent_reachable: true,
  error: null,
  vault_reachable: true,
  sealed: false,
  version: '1.21.0+ent',
  ha_role: 'active',
  mode,
  state,
  replication_cluster_id: 'c-1',
  checked_at: '2026-12-04T08:00:00.000Z',
})

const pair = {
  secondary: 'dc2',
  primary: 'dc1',
  secondary_id: 'dc2',
  clusters: { primary: cluster('dc1', 'primary', 'running'), secondary: cluster('dc2', 'secondary', 'stream-wals') },
  connection_state: 'ready',
  primary_sees_secondary: 'connected',
  lag: { wals: 3, primary_last_wal: 40, secondary_last_remote_wal: 37, age_s: 0.2 },
  heartbeat_age_s: 1.5,
  merkle_corrupted: null,
  versions: { primary: '1.21.0+ent', secondary: '1.21.0+ent' },
  dr_operation_token: {
    issued_at: '2026-12-04T08:00:00.000Z',
    expires_at: '2026-12-04T16:00:00.000Z',
    rotate_at: '2026-12-04T12:00:00.000Z',
    remaining_s: 27_000,
    previous_expires_at: null,
    primary_cluster_id: 'c-1',
  },
  checked_at: '2026-12-04T08:30:00.000Z',
}

const check = (name: string, status: string, code = 'OK', fix: string | null = null) => ({
  id: 'P1',
  name,
  status,
  code,
  detail: `${name} detail`,
  fix,
})

describe('pairs and dr-token commands', () => {
  const routes: Record<string, Route> = {}
  let gateway: Awaited<ReturnType<typeof startStandInGateway>>
  const answer = (key: string, a: Answer) => {
    routes[key] = () => a
  }
  beforeAll(async () => {
    gateway = await startStandInGateway(routes)
  })
  afterAll(() => gateway.close())
  beforeEach(() => {
    gateway.seen.length = 0
    for (const key of Object.keys(routes)) delete routes[key]
  })

  it('pairs list: a table of pairs, or them as JSON; a cluster failed away from named with its rejoin', async () => {
    answer('GET /v1/pairs', { status: 200, body: { pairs: [pair] } })
    const fence = {
      failover_id: 'fo-1',
      new_primary: 'dc1',
      fenced_at: '2026-12-04T10:00:00.000Z',
      demoted_at: null,
      pending: false,
    }
    const registered = (name: string, f: unknown) => ({ name, role: 'primary', agent_url: 'http://x', fence: f })
    answer('GET /v1/clusters', {
      status: 200,
      body: { clusters: [registered('dc1', null), registered('dc2', null), registered('dc0', fence)] },
    })
    const io = capture()
    expect(await runCli(['pairs', 'list'], gateway.env)).toBe(0)
    expect(io.out()).toMatch(/SECONDARY\s+PRIMARY/)
    expect(io.out()).toMatch(/dc2\s+dc1\s+dc2\s+stream-wals\/ready\s+3\s+1.5s\s+2026-12-04T16:00:00.000Z/)
    expect(io.out()).toContain(
      `dc0: fenced by failover fo-1 (dc1 took its place): in no pair until "vault-dr rejoin dc0" makes it dc1's DR secondary`,
    )
    expect(await runCli(['pairs', 'list', '--json'], gateway.env)).toBe(0)
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '')).toEqual([pair])
  })

  it('pairs list and show name the operation holding a cluster of the pair (a drill in its hold)', async () => {
    const held = { ...pair, held_by: { id: 'drill-1', kind: 'drill', state: 'running' } }
    answer('GET /v1/pairs', { status: 200, body: { pairs: [held] } })
    answer('GET /v1/clusters', { status: 200, body: { clusters: [] } })
    answer('GET /v1/pairs/dc2/readiness', {
      status: 200,
      body: { secondary: 'dc2', primary: 'dc1', ready: true, checks: [check('connection', 'pass')], pair: held },
    })
    const io = capture()
    expect(await runCli(['pairs', 'list'], gateway.env)).toBe(0)
    expect(io.out()).toContain('dc2: held by drill drill-1 (running): the roles shown may change by themselves')
    expect(await runCli(['pairs', 'show', 'dc2'], gateway.env)).toBe(0)
    expect(io.out()).toContain('READY to fail over once drill drill-1 ends')
    expect(io.out()).toContain('"vault-dr operations show drill-1"')
  })

  it('pairs show: exits 0 when ready, 1 with each fix when a check fails, and passes --max-lag-wals', async () => {
    answer('GET /v1/pairs/dc2/readiness', {
      status: 200,
      body: { secondary: 'dc2', primary: 'dc1', ready: true, checks: [check('connection', 'pass')], pair },
    })
    const io = capture()
    expect(await runCli(['pairs', 'show', 'dc2', '--max-lag-wals', '7'], gateway.env)).toBe(0)
    expect(io.out()).toContain('READY to fail over')
    expect(gateway.seen.at(-1)?.url).toBe('/v1/pairs/dc2/readiness?max_lag_wals=7')

    answer('GET /v1/pairs/dc2/readiness', {
      status: 200,
      body: {
        secondary: 'dc2',
        primary: 'dc1',
        ready: false,
        checks: [check('connection', 'pass'), check('lag', 'fail', 'LAG_TOO_HIGH', 'Wait for it to catch up.')],
        pair,
      },
    })
    expect(await runCli(['pairs', 'show', 'dc2'], gateway.env)).toBe(1)
    expect(io.out()).toContain('NOT READY')
    expect(io.out()).toContain('fix: Wait for it to catch up.')
    expect(await runCli(['pairs', 'show', 'dc2', '--json'], gateway.env)).toBe(1)
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '').ready).toBe(false)
  })

  it('pairs auto-failover: shows the setting, turns it on with --down-for and off, and refuses both at once', async () => {
    const off = { enabled: false, down_for: '60s', last_fired_at: null, blocked_until: null }
    answer('GET /v1/pairs/dc2', { status: 200, body: { ...pair, auto_failover: off } })
    const io = capture()
    expect(await runCli(['pairs', 'auto-failover', 'dc2'], gateway.env)).toBe(0)
    expect(io.out()).toContain('automatic failover of dc2: off')

    const on = { ...off, enabled: true, down_for: '90s', blocked_until: '2026-12-04T09:00:00.000Z' }
    answer('PUT /v1/pairs/dc2/auto-failover', { status: 200, body: on })
    expect(await runCli(['pairs', 'auto-failover', 'dc2', '--enable', '--down-for', '90s'], gateway.env)).toBe(0)
    expect(gateway.seen.at(-1)).toMatchObject({ method: 'PUT', body: { enabled: true, down_for: '90s' } })
    expect(io.out()).toContain('automatic failover of dc2: on, after 90s lost')
    expect(io.out()).toContain('none before: 2026-12-04T09:00:00.000Z')

    answer('PUT /v1/pairs/dc2/auto-failover', { status: 200, body: off })
    expect(await runCli(['pairs', 'auto-failover', 'dc2', '--disable', '--json'], gateway.env)).toBe(0)
    expect(gateway.seen.at(-1)).toMatchObject({ method: 'PUT', body: { enabled: false } })
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '')).toEqual(off)

    answer('GET /v1/pairs/dc2', { status: 200, body: { ...pair, auto_failover: null } })
    expect(await runCli(['pairs', 'auto-failover', 'dc2'], gateway.env)).toBe(4)
    expect(io.out()).toContain('automatic failover of dc2: unknown (the gateway could not read its setting)')

    const asked = gateway.seen.length
    expect(await runCli(['pairs', 'auto-failover', 'dc2', '--enable', '--disable'], gateway.env)).toBe(2)
    expect(await runCli(['pairs', 'auto-failover', 'dc2', '--down-for', '90s'], gateway.env)).toBe(2)
    expect(io.err()).toContain('--enable and --disable: pass one of them')
    expect(io.err()).toContain('--down-for goes with --enable')
    expect(gateway.seen).toHaveLength(asked)
  })

  it('refuses a malformed --max-lag-wals before asking the gateway, and reports an unknown pair as JSON, exit 3', async () => {
    const io = capture()
    expect(await runCli(['pairs', 'show', 'dc2', '--max-lag-wals', 'lots', '--json'], gateway.env)).toBe(2)
    expect(JSON.parse(io.out()).detail).toContain('--max-lag-wals')
    expect(gateway.seen).toHaveLength(0)
    answer('GET /v1/pairs/dc9/readiness', problem(404, 'GATEWAY_ERR_PAIR_NOT_FOUND', 'No pair dc9', 'List them.'))
    expect(await runCli(['pairs', 'show', 'dc9', '--json'], gateway.env)).toBe(3)
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '')).toMatchObject({
      code: 'GATEWAY_ERR_PAIR_NOT_FOUND',
      fix: expect.any(String),
    })
  })

  it('dr-token rotate: shows the expiry and the check, never a token; exits 1 when the secondary refused it', async () => {
    const rotated = (outcome: string) => ({
      secondary: 'dc2',
      primary: 'dc1',
      token: { ...pair.dr_operation_token, previous_expires_at: '2026-12-04T12:00:00.000Z' },
      check: { outcome, code: outcome === 'valid' ? 'DR_TOKEN_VALID' : 'DR_TOKEN_REJECTED', detail: 'd', fix: null },
    })
    answer('POST /v1/pairs/dc2/dr-operation-token/rotate', { status: 200, body: rotated('valid') })
    const io = capture()
    expect(await runCli(['dr-token', 'rotate', 'dc2'], gateway.env)).toBe(0)
    expect(io.out()).toContain('valid until 2026-12-04T16:00:00.000Z')
    expect(io.out()).toContain('stays valid until 2026-12-04T12:00:00.000Z')
    answer('POST /v1/pairs/dc2/dr-operation-token/rotate', { status: 200, body: rotated('invalid') })
    expect(await runCli(['dr-token', 'rotate', 'dc2', '--json'], gateway.env)).toBe(1)
    expect(JSON.parse(io.out().split('\n').filter(Boolean).at(-1) ?? '').check.code).toBe('DR_TOKEN_REJECTED')
    expect(await runCli(['dr-token'], gateway.env)).toBe(2)
    expect(io.err()).toContain('vault-dr dr-token rotate')
  })
})
