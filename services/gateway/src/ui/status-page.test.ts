import { join } from 'node:path'
import { runInNewContext, Script } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_TOKEN, startGateway, tempDir } from '../../test/helpers/gateway.ts'
import { BOARD_SCRIPT } from './script-board.ts'
import { HEALTH_SCRIPT } from './script-health.ts'
import { RENDER_SCRIPT } from './script-render.ts'
import { STATUS_PAGE_ASSETS, STATUS_PAGE_CSP } from './status-page.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>

describe('the status page served by the gateway', () => {
  const tmp = tempDir()
  let gw: Gateway
  beforeAll(async () => {
    gw = await startGateway(join(tmp.dir, 'store.sqlite'))
  })
  afterAll(async () => {
    await gw?.app.close()
    tmp.cleanup()
  })

  it('serves /ui and its two files without a token, each under the strict CSP', async () => {
    for (const [url, type] of [
      ['/ui', 'text/html'],
      ['/ui/status-page.css', 'text/css'],
      ['/ui/status-page.js', 'text/javascript'],
    ] as const) {
      const res = await gw.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toContain(type)
      expect(res.headers['content-security-policy']).toBe(STATUS_PAGE_CSP)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.body).not.toContain(API_TOKEN)
    }
    expect(STATUS_PAGE_CSP).not.toContain('unsafe')
    expect(STATUS_PAGE_CSP).toContain("default-src 'none'")
  })

  it('sends /ui/ to /ui', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/ui/' })
    expect(res.statusCode).toBe(301)
    expect(res.headers.location).toBe('/ui')
  })

  it('answers 304 to a fresh copy', async () => {
    const first = await gw.app.inject({ method: 'GET', url: '/ui/status-page.js' })
    const again = await gw.app.inject({
      method: 'GET',
      url: '/ui/status-page.js',
      headers: { 'if-none-match': String(first.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('keeps /v1 behind the token, and /ui out of the OpenAPI document like /docs', async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/v1/clusters' })).statusCode).toBe(401)
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/ui'))).toEqual([])
  })
})

describe("the page's files", () => {
  it('weigh under 200 KB together, uncompressed', () => {
    const bytes = Object.values(STATUS_PAGE_ASSETS).reduce((n, a) => n + Buffer.byteLength(a.body), 0)
    expect(bytes).toBeLessThan(200 * 1024)
  })

  it('hold no inline script, style or event handler (the CSP would block them)', () => {
    const html = STATUS_PAGE_ASSETS['/ui']?.body ?? ''
    expect(html).toMatch(/<script src="\/ui\/status-page.js" defer><\/script>/)
    expect(html.match(/<script/g)).toHaveLength(1)
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
  })

  it('hold a script that parses, and that never puts the token in a URL or localStorage', () => {
    const script = STATUS_PAGE_ASSETS['/ui/status-page.js']?.body ?? ''
    expect(() => new Script(script)).not.toThrow()
    expect(script).not.toMatch(/localStorage|EventSource|console\./)
    expect(script).toContain('sessionStorage.setItem(TOKEN_KEY, typed)')
    expect(script).toContain("authorization: 'Bearer ' + token")
  })
})

describe("the page's health rules", () => {
  type Verdict = { level: string; reasons: Array<{ level: string; text: string; fix: string | null }> }
  type Rules = {
    clusterHealth(c: unknown): Verdict
    derivedPairHealth(p: unknown, s: unknown, id: string): Verdict
    pairHealth(p: unknown): Verdict
    readinessGaps(r: unknown): Verdict['reasons']
    combined(a: Verdict, b: Verdict): Verdict
  }
  const rules = runInNewContext(
    `${HEALTH_SCRIPT}; ({ clusterHealth, derivedPairHealth, pairHealth, readinessGaps, combined })`,
  ) as Rules

  const peer = (over: object = {}) => ({
    node_id: 'dc2',
    api_address: null,
    cluster_address: '127.0.0.1:8201',
    connection_status: 'connected',
    last_heartbeat: null,
    heartbeat_age_s: 1,
    ...over,
  })
  const replication = (over: object) => ({
    mode: 'primary',
    state: 'running',
    secondaries: [],
    known_secondaries: [],
    primaries: [],
    connection_state: null,
    primary_cluster_addr: null,
    ...over,
  })
  const cluster = (name: string, role: string, repl: object | null, vault: object = {}) => ({
    name,
    role,
    agent_url: 'http://127.0.0.1:1',
    agent: {
      reachable: true,
      latency_ms: 1,
      status: { vault: { reachable: true, sealed: false, address: 'x', error: null, ...vault }, replication: repl },
    },
  })
  const primary = cluster('dc1', 'primary', replication({ secondaries: [peer()], known_secondaries: ['dc2'] }))
  const secondary = (over: object = {}) =>
    cluster(
      'dc2',
      'secondary',
      replication({ mode: 'secondary', state: 'stream-wals', connection_state: 'ready', primaries: [peer()], ...over }),
    )

  it('calls a streaming pair healthy', () => {
    expect(rules.clusterHealth(primary).level).toBe('ok')
    expect(rules.clusterHealth(secondary()).level).toBe('ok')
    expect(rules.derivedPairHealth(primary, secondary(), 'dc2').level).toBe('ok')
  })

  it("turns a cluster whose agent's Vault token fails its check red (amber when it expires soon), with the check's fix", () => {
    const token = (status: string, code: string) => ({
      name: 'vault_token',
      status,
      code,
      detail: `${code} detail`,
      fix: `${code} fix`,
    })
    const refused = { ...primary, agent: { ...primary.agent, vault_token: token('fail', 'TOKEN_REFUSED') } }
    const health = rules.clusterHealth(refused)
    expect(health.level).toBe('bad')
    expect(health.reasons[0]).toMatchObject({
      text: "The agent's Vault token: TOKEN_REFUSED: TOKEN_REFUSED detail",
      fix: 'TOKEN_REFUSED fix',
    })
    const soon = { ...primary, agent: { ...primary.agent, vault_token: token('warn', 'TOKEN_EXPIRES_SOON') } }
    expect(rules.clusterHealth(soon).level).toBe('warn')
    const passing = { ...primary, agent: { ...primary.agent, vault_token: token('pass', 'OK') } }
    expect(rules.clusterHealth(passing).level).toBe('ok')
  })

  it('turns a fenced cluster red, naming the failover and the rejoin that ends the fence', () => {
    const fence = { failover_id: 'fo-1', new_primary: 'dc2', fenced_at: 'x', demoted_at: 'y', pending: false }
    const demoted = { ...cluster('dc1', 'primary', replication({ mode: 'secondary', state: 'idle' })), fence }
    const health = rules.clusterHealth(demoted)
    expect(health.level).toBe('bad')
    expect(health.reasons).toEqual([
      {
        level: 'bad',
        text: 'Fenced: failover fo-1 promoted dc2 in its place; demoted',
        fix: "Once it is demoted, a rejoin makes it dc2's DR secondary without a wipe: vault-dr rejoin dc1",
      },
    ])
    // A fence written for a promote not sent yet is nobody's business yet.
    expect(rules.clusterHealth({ ...primary, fence: { ...fence, pending: true } }).level).toBe('ok')
  })

  it("turns a secondary that lost its primary red, naming the primary's cluster port", () => {
    const cut = secondary({ connection_state: 'transient_failure', primary_cluster_addr: 'https://10.0.0.1:8201' })
    const health = rules.clusterHealth(cut)
    expect(health.level).toBe('bad')
    expect(health.reasons[0]?.text).toContain('transient_failure')
    expect(health.reasons[0]?.fix).toContain('https://10.0.0.1:8201')
    expect(rules.derivedPairHealth(primary, cut, 'dc2').level).toBe('bad')
  })

  it('turns a primary red when a secondary is disconnected, and an unreachable agent or a sealed Vault red', () => {
    const lost = cluster('dc1', 'primary', replication({ secondaries: [peer({ connection_status: 'disconnected' })] }))
    expect(rules.clusterHealth(lost).level).toBe('bad')
    expect(rules.derivedPairHealth(lost, secondary(), 'dc2').level).toBe('bad')
    const gone = {
      ...primary,
      agent: { reachable: false, latency_ms: 1, error: { code: 'AGENT_UNREACHABLE', detail: 'refused' } },
    }
    expect(rules.clusterHealth(gone).reasons[0]?.text).toContain('AGENT_UNREACHABLE')
    expect(rules.clusterHealth(cluster('dc1', 'primary', null, { sealed: true })).level).toBe('bad')
  })

  it('warns about a cluster without DR yet, and a stale heartbeat', () => {
    expect(rules.clusterHealth(cluster('dc2', 'secondary', replication({ mode: 'disabled' }))).level).toBe('warn')
    expect(rules.clusterHealth(secondary({ primaries: [peer({ heartbeat_age_s: 45 })] })).level).toBe('warn')
  })

  it('reads a pair of the pairs API', () => {
    const side = { agent_reachable: true, error: null, vault_reachable: true, sealed: false }
    const pair = {
      clusters: { primary: side, secondary: side },
      connection_state: 'ready',
      primary_sees_secondary: 'connected',
      merkle_corrupted: false,
      heartbeat_age_s: 1,
      lag: { wals: 0 },
    }
    expect(rules.pairHealth(pair).level).toBe('ok')
    expect(rules.pairHealth({ ...pair, merkle_corrupted: true }).level).toBe('bad')
    expect(rules.pairHealth({ ...pair, connection_state: 'connecting' }).level).toBe('bad')
    const token = (expiresAt: number) => ({ dr_operation_token: { expires_at: new Date(expiresAt).toISOString() } })
    expect(rules.pairHealth({ ...pair, ...token(Date.now() + 60_000) }).level).toBe('ok')
    const expired = rules.pairHealth({ ...pair, secondary: 'dc2', ...token(Date.now() - 1_000) })
    expect(expired.level).toBe('bad')
    expect(expired.reasons[0]?.text).toContain('The DR operation token expired')
    expect(expired.reasons[0]?.fix).toBe('vault-dr dr-token rotate dc2')

    const check = (name: string, status: string) => ({ name, status, detail: `${name} is ${status}`, fix: 'Do this' })
    const notReady = { ready: false, checks: [check('lag', 'pass'), check('dr_token', 'fail')] }
    expect(rules.readinessGaps(notReady)).toEqual([
      { level: 'warn', text: 'Not ready to fail over: dr_token: dr_token is fail', fix: 'Do this' },
    ])
    expect(rules.readinessGaps({ ready: true, checks: [check('lag', 'pass')] })).toEqual([])
  })

  it("takes the worse of the pairs API's view and the clusters' live status", () => {
    const ok = rules.derivedPairHealth(primary, secondary(), 'dc2')
    const cut = rules.derivedPairHealth(primary, secondary({ connection_state: 'connecting' }), 'dc2')
    expect(rules.combined(ok, ok)).toBe(ok)
    expect(rules.combined(ok, cut).level).toBe('bad')
    expect(rules.combined(cut, cut).reasons).toEqual(cut.reasons)
  })
})

describe("the page's event streams", () => {
  type Op = { id: string; state: string; updated_at: string; cancel_requested?: boolean }
  type Board = {
    board: { operations: Op[]; selected: { kind: string; key: string } | null }
    live: Map<string, Op>
    keepStreams(): void
  }
  const started: string[] = []
  const aborted: string[] = []
  const page = runInNewContext(`${BOARD_SCRIPT}; ({ board, live, keepStreams })`, {
    $: () => ({ addEventListener() {}, dataset: {}, hidden: true }),
    finished: (op: Op) => ['succeeded', 'failed', 'cancelled'].includes(op.state),
    // A stream that stays open until it is stopped, as the gateway's does for an unfinished operation.
    followEvents: (id: string, signal: AbortSignal) => {
      started.push(id)
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted.push(id)
          reject(signal.reason)
        }),
      )
    },
    Refused: class extends Error {},
    token: null,
    TOKEN_KEY: 'token',
    clearTimeout,
    AbortController,
    sessionStorage: { getItem: () => null, removeItem() {} },
  }) as Board
  const op = (id: string, state: string, at: number, extra: Partial<Op> = {}): Op => ({
    id,
    state,
    updated_at: new Date(Date.UTC(2026, 11, 6, 8, 0, at)).toISOString(),
    ...extra,
  })

  it('holds two at most (a browser opens about six connections to a host), the selected operation among them', async () => {
    page.board.operations = [op('a', 'running', 1), op('b', 'running', 1), op('c', 'pending', 1), op('d', 'failed', 1)]
    page.keepStreams()
    expect(started).toEqual(['a', 'b'])
    page.board.selected = { kind: 'operation', key: 'c' }
    page.keepStreams()
    await new Promise((resolve) => setImmediate(resolve))
    expect(started).toEqual(['a', 'b', 'c'])
    expect(aborted).toEqual(['b'])
  })

  it('gives a streamed copy what no event says (a cancel asked for), keeping what its events brought', () => {
    page.board.selected = null
    const streamed = { ...op('a', 'running', 1), step: 'demote_primary' }
    page.live.set('a', streamed)
    page.board.operations = [op('a', 'running', 5, { cancel_requested: true }), op('c', 'pending', 1)]
    page.keepStreams()
    expect(page.live.get('a')).toMatchObject({ cancel_requested: true, step: 'demote_primary' })
    // Finished: the read is the whole truth.
    page.board.operations = [op('a', 'succeeded', 9), op('c', 'pending', 1)]
    page.keepStreams()
    expect(page.live.get('a')?.state ?? 'gone').not.toBe('running')
  })
})

describe("the page's history", () => {
  const { outcomeOf } = runInNewContext(`${RENDER_SCRIPT}; ({ outcomeOf })`, {}) as {
    outcomeOf(op: unknown): string
  }
  const steps = [{ status: 'succeeded' }, { status: 'succeeded' }]
  const drill = (verdict: string, findings: string[]) => ({
    kind: 'drill',
    error: null,
    steps,
    result: { report: { verdict, findings } },
  })

  it('tells a drill that found a fault from one that passed, though both succeeded as operations', () => {
    expect(outcomeOf(drill('passed', []))).toBe('2/2 steps')
    expect(outcomeOf(drill('failed', ['the hold was cut short by a cancellation']))).toBe(
      'verdict failed: the hold was cut short by a cancellation',
    )
    expect(outcomeOf({ kind: 'switchover', error: { code: 'GATEWAY_ERR_CANCELLED' }, steps, result: null })).toBe(
      'GATEWAY_ERR_CANCELLED',
    )
  })
})
