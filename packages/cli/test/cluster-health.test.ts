import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/main.ts'
import { capture, startStandInGateway } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

const AT = '2026-12-04T10:00:00.000Z'
const vault = {
  reachable: true,
  address: 'http://127.0.1.1:8200',
  health_code: 200,
  initialized: true,
  sealed: false,
  version: '1.17.3+ent',
  enterprise: true,
  ha_role: 'active',
  cluster_name: 'dc1',
  cluster_id: 'c1',
  dr_mode: 'disabled',
  error: null,
}
const replication = { mode: 'disabled', state: null, connection_state: null, cluster_id: null, secondaries: [] }
const cluster = (name: string, agent: unknown) => ({
  name,
  role: 'primary',
  agent_url: `https://${name}.example:8410`,
  created_at: AT,
  updated_at: AT,
  agent,
})
const unreachable = (code: string, upstream_code: string | null, detail = 'x') => ({
  reachable: false,
  latency_ms: 3,
  error: { code, detail, upstream_code },
})
const tokenCheck = (status: string, code: string, detail: string, fix: string | null) => ({
  name: 'vault_token',
  status,
  code,
  detail,
  fix,
  missing: [],
  expires_at: null,
  renewable: null,
  checked_at: AT,
})
const goodToken = tokenCheck('pass', 'OK', 'the token holds every capability needed and does not expire', null)
const reachable = (v: object, r: object | null = replication, vaultToken: object | null = goodToken) => ({
  reachable: true,
  latency_ms: 3,
  status: { vault: { ...vault, ...v }, replication: r, checked_at: AT },
  vault_token: vaultToken,
})

// One cluster per way the gateway can fail to read a cluster, and one healthy.
const clusters = [
  cluster('healthy', reachable({})),
  cluster('down', unreachable('GATEWAY_ERR_AGENT_UNREACHABLE', 'ECONNREFUSED')),
  cluster('wrong-token', unreachable('GATEWAY_ERR_AGENT_UNAUTHORIZED', 'CORE_ERR_UNAUTHORIZED')),
  cluster('untrusted', unreachable('GATEWAY_ERR_AGENT_UNREACHABLE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')),
  cluster(
    'no-vault',
    reachable(
      {
        reachable: false,
        error: 'GET sys/health to https://v:8200 failed: SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate',
      },
      null,
    ),
  ),
  cluster('sealed', reachable({ sealed: true })),
  cluster('slow', unreachable('GATEWAY_ERR_AGENT_TIMEOUT', null)),
  // Its status reads (they need no token), but Vault refuses the agent's token: every change would fail.
  cluster(
    'token-refused',
    reachable(
      {},
      replication,
      tokenCheck(
        'fail',
        'TOKEN_REFUSED',
        "Vault refused the agent's token on auth/token/lookup-self (permission denied)",
        'Give the agent a valid Vault token carrying the policy in the README (VAULT_TOKEN_FILE or VAULT_TOKEN), then restart the agent.',
      ),
    ),
  ),
  // Failed away from, back and demoted by the fence: its registered role stays primary until it rejoins.
  {
    ...cluster('fenced', reachable({}, { ...replication, mode: 'secondary', state: 'idle' })),
    fence: { failover_id: 'fo-1', new_primary: 'dc2', fenced_at: AT, demoted_at: AT, pending: false },
  },
  // A token check the agent did not answer in time says nothing either way (last: healthy).
  cluster('token-unchecked', reachable({}, replication, null)),
]

describe('clusters list and status tell why a cluster is not healthy', () => {
  let gateway: Awaited<ReturnType<typeof startStandInGateway>>
  beforeAll(async () => {
    gateway = await startStandInGateway({
      'GET /v1/clusters': () => ({ status: 200, body: { clusters } }),
      ...Object.fromEntries(clusters.map((c) => [`GET /v1/clusters/${c.name}`, () => ({ status: 200, body: c })])),
    })
  })
  afterAll(() => gateway.close())

  it('exits 1 from the fleet view, naming each broken link with its own fix', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], gateway.env)).toBe(1)
    const out = io.out()
    expect(out).toMatch(/healthy\s+primary\s+\S+\s+1\.17\.3\+ent active\s+disabled/)
    expect(out).toMatch(/down\s+.*agent unreachable \(ECONNREFUSED\)/)
    expect(out).toMatch(/wrong-token\s+.*agent refused the gateway's token \(GATEWAY_ERR_AGENT_UNAUTHORIZED\)/)
    expect(out).toMatch(/untrusted\s+.*agent TLS failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/)
    expect(out).toMatch(/no-vault\s+.*the agent cannot read its Vault \(VAULT_ERR_TLS\)/)
    expect(out).toMatch(/sealed\s+.*Vault sealed/)
    // The agent waits for its Vault longer than the fleet view waits for it: a Vault that hangs looks like this too.
    expect(out).toMatch(
      /slow\s+.*no status in time from the agent or its Vault behind it \(GATEWAY_ERR_AGENT_TIMEOUT\)/,
    )
    expect(out).toContain('fix (slow): Check the agent and its log: it reads its Vault first')
    expect(out).toContain('fix (down): Check that the agent runs and listens at https://down.example:8410')
    expect(out).toContain(
      "fix (wrong-token): Register the cluster again with the agent's own token (its VAULT_DR_API_TOKEN): VAULT_DR_AGENT_TOKEN_FILE=<file> vault-dr clusters add wrong-token --role primary --agent-url https://wrong-token.example:8410",
    )
    expect(out).toContain("fix (untrusted): Set the gateway's VAULT_DR_AGENT_CACERT")
    expect(out).toContain("fix (no-vault): Set the agent's VAULT_CACERT")
    expect(out).toContain('fix (sealed): Unseal the cluster')
    expect(out).toMatch(/token-refused\s+.*the agent's Vault token \(TOKEN_REFUSED\)/)
    expect(out).toContain('fix (token-refused): Give the agent a valid Vault token')
    expect(out).not.toContain('fix (healthy)')
    expect(out).not.toContain('fix (token-unchecked)')
    // A fenced cluster says so in its role, with what its agent reads, and the rejoin to run.
    expect(out).toMatch(/fenced\s+primary \(fenced\)\s+\S+\s+1\.17\.3\+ent active\s+secondary\s+idle/)
    expect(out).toContain(
      "fix (fenced): Once its site is back and it is demoted, make it dc2's DR secondary without a wipe: vault-dr rejoin fenced",
    )
  })

  it('says a fenced cluster is fenced, by which failover, and how to end it', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'status', 'fenced'], gateway.env)).toBe(1)
    expect(io.out()).toContain('fenced (primary (fenced)) via https://fenced.example:8410')
    expect(io.out()).toContain('  fence: fenced: failover fo-1 promoted dc2 in its place; demoted')
    expect(io.out()).toContain('vault-dr rejoin fenced')
  })

  it('exits 0 for a healthy cluster and 1 for each other, also with --json (which carries the health)', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'status', 'healthy'], gateway.env)).toBe(0)
    expect(await runCli(['clusters', 'status', 'token-unchecked'], gateway.env)).toBe(0)
    const ill = clusters.slice(1, -1)
    for (const c of ill) expect(await runCli(['clusters', 'status', c.name, '--json'], gateway.env), c.name).toBe(1)
    const reports = io
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
    expect(reports.map((r) => [r.name, r.health.healthy])).toEqual(ill.map((c) => [c.name, false]))
    expect(new Set(reports.map((r) => r.health.fix)).size).toBe(ill.length)
  })
})

describe('an agent registered at plain http on another machine', () => {
  it('is warned of when added and in its status: what would cross the network in clear, and the fix', async () => {
    const warning = 'http://plain.example:8410 is plain http to another machine: … Serve the agent over https'
    const plain = {
      ...cluster('plain', reachable({}, replication)),
      agent_url: 'http://plain.example:8410',
      agent_url_warning: warning,
    }
    const gateway = await startStandInGateway({
      'POST /v1/clusters': () => ({ status: 201, body: plain }),
      'GET /v1/clusters/plain': () => ({ status: 200, body: plain }),
    })
    try {
      const io = capture()
      const env = { ...gateway.env, VAULT_DR_AGENT_TOKEN: 'agent-token-0123456789' }
      const add = ['clusters', 'add', 'plain', '--role', 'primary', '--agent-url', 'http://plain.example:8410']
      expect(await runCli(add, env)).toBe(0)
      expect(io.err()).toContain(`warning: ${warning}`)
      expect(await runCli(['clusters', 'status', 'plain'], gateway.env)).toBe(0)
      expect(io.out()).toContain(`  warning: ${warning}`)
    } finally {
      await gateway.close()
    }
  })
})
