import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/main.ts'
import { createOutput, sayInterrupted, table } from '../src/output.ts'
import { currentStep, renderStep } from '../src/render-handshake.ts'
import { renderOperation, renderOutcome } from '../src/render-operation.ts'
import { operation, opStep } from './operation-fixtures.ts'

// Restored after each test, also one whose assertions failed (stdout and stderr stay captured only while it runs).
afterEach(() => {
  vi.restoreAllMocks()
})

function capture() {
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0)
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0)
  return { out: () => out.join(''), err: () => err.join('') }
}

describe('vault-dr command line', () => {
  it('prints usage with --help and exits 0', async () => {
    const io = capture()
    expect(await runCli(['--help'], {})).toBe(0)
    expect(io.out()).toContain('vault-dr handshake start')
  })

  it('exits 2 without a command: usage on stderr, or one JSON document under --json', async () => {
    const io = capture()
    expect(await runCli([], {})).toBe(2)
    expect(io.out()).toBe('')
    expect(io.err()).toContain('error: a command is required')
    expect(io.err()).toContain('vault-dr handshake start')
    expect(await runCli(['--json'], {})).toBe(2)
    expect(JSON.parse(io.out())).toMatchObject({ code: 'CLI_ERR_USAGE', detail: 'a command is required' })
  })

  it('refuses --version given to a command, as any option the command does not take', async () => {
    const io = capture()
    expect(await runCli(['switchover', '--to', 'dc2', '--version'], {})).toBe(2)
    expect(io.err()).toContain('"switchover" does not take --version')
    expect(await runCli(['--version'], {})).toBe(0)
  })

  it('exits 2 on an unknown command, suggesting the commands it may mean; a plan asked as an argument names --dry-run', async () => {
    const io = capture()
    expect(await runCli(['status'], {})).toBe(2)
    expect(io.err()).toContain('unknown command "status"; did you mean "vault-dr clusters status"?')
    expect(await runCli(['switch', '--to', 'dc2'], {})).toBe(2)
    expect(io.err()).toContain('did you mean "vault-dr switchover"?')
    expect(await runCli(['failover', 'plan', '--to', 'dc2'], {})).toBe(2)
    expect(io.err()).toContain('"failover" does not take the argument plan (its plan: --dry-run)')
  })

  it('exits 2 on an unknown flag, naming it', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list', '--token', 'x'], {})).toBe(2)
    expect(io.err()).toContain("Unknown option '--token'")
  })

  it('exits 2 without a gateway token, saying which variables to set', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], { VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:8400' })).toBe(2)
    expect(io.err()).toContain('VAULT_DR_API_TOKEN')
  })

  it('exits 2 on a gateway address that is not a URL', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], { VAULT_DR_GATEWAY_ADDR: 'nowhere', VAULT_DR_API_TOKEN: 't' })).toBe(2)
    expect(io.err()).toContain('VAULT_DR_GATEWAY_ADDR')
  })

  it('exits 2 on a gateway address carrying a password, naming the variable, never the password', async () => {
    const io = capture()
    const env = { VAULT_DR_GATEWAY_ADDR: 'http://ops:GwS3cret@127.0.0.1:8400', VAULT_DR_API_TOKEN: 't' }
    expect(await runCli(['clusters', 'list', '--json'], env)).toBe(2)
    expect(io.err() + io.out()).toContain('VAULT_DR_GATEWAY_ADDR: must not carry a user name or password')
    expect(io.err() + io.out()).not.toContain('GwS3cret')
  })

  it('exits 2 on a gateway token no header can carry (a line break inside its file), never printing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-cli-'))
    const file = join(dir, 'api-token')
    writeFileSync(file, 'GwTok3n-first-line\nsecond-line\n')
    const io = capture()
    try {
      const env = { VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:9', VAULT_DR_API_TOKEN_FILE: file }
      expect(await runCli(['clusters', 'list', '--json'], env)).toBe(2)
      expect(io.err() + io.out()).toContain('VAULT_DR_API_TOKEN')
      expect(io.err() + io.out()).toContain('must be printable ASCII without spaces')
      expect(io.err() + io.out()).not.toContain('GwTok3n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('exits 2 when VAULT_DR_GATEWAY_CACERT holds no certificate, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-dr-cli-'))
    const notPem = join(dir, 'ca.pem')
    writeFileSync(notPem, 'not a certificate\n')
    const io = capture()
    try {
      expect(await runCli(['clusters', 'list'], { VAULT_DR_API_TOKEN: 't', VAULT_DR_GATEWAY_CACERT: notPem })).toBe(2)
      expect(io.err()).toContain(`VAULT_DR_GATEWAY_CACERT: ${notPem} holds no PEM certificate`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('options each command takes', () => {
  // A stand-in gateway on loopback that records each request and answers a passed preflight.
  const seen: Array<{ method: string; url: string; body: unknown }> = []
  let server: Server
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: await jsonBody(req) })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, already_replicating: false, checks: [] }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    env = { VAULT_DR_GATEWAY_ADDR: `http://127.0.0.1:${port}`, VAULT_DR_API_TOKEN: 'gateway-token' }
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
  beforeEach(() => {
    seen.length = 0
  })

  it('passes --secondary-id and --allow-repoint of preflight through to the gateway', async () => {
    capture()
    const args = ['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--secondary-id', 'dr-2', '--allow-repoint']
    expect(await runCli(args, env)).toBe(0)
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/v1/preflight',
        body: { primary: 'dc1', secondary: 'dc2', secondary_id: 'dr-2', allow_repoint: true, skip_checks: [] },
      },
    ])
  })

  it('passes --primary-cluster-addr and --primary-api-addr of preflight through', async () => {
    capture()
    const cluster = 'https://vault-dr-lb.dc1.example:8201'
    const api = 'https://vault.dc1.example:8200'
    const args = ['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--primary-cluster-addr', cluster]
    expect(await runCli([...args, '--primary-api-addr', api], env)).toBe(0)
    expect(seen.map((r) => r.body)).toEqual([
      {
        primary: 'dc1',
        secondary: 'dc2',
        primary_cluster_addr: cluster,
        primary_api_addr: api,
        allow_repoint: false,
        skip_checks: [],
      },
    ])
  })

  it('passes --primary-cluster-addr and --primary-api-addr of handshake start through', async () => {
    capture()
    const cluster = 'https://vault-dr-lb.dc1.example:8201'
    const api = 'https://vault.dc1.example:8200'
    const args = ['handshake', 'start', '--primary', 'dc1', '--secondary', 'dc2', '--primary-cluster-addr', cluster]
    await runCli([...args, '--primary-api-addr', api], env)
    expect(seen.map((r) => [r.method, r.url])).toEqual([['POST', '/v1/handshakes']])
    expect(seen[0]?.body).toMatchObject({ primary_cluster_addr: cluster, primary_api_addr: api })
  })

  it('leaves secondary_id to the gateway and allow_repoint false when they are not given', async () => {
    capture()
    expect(await runCli(['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--skip-check', 'api_tls'], env)).toBe(
      0,
    )
    expect(seen.map((r) => r.body)).toEqual([
      { primary: 'dc1', secondary: 'dc2', allow_repoint: false, skip_checks: ['api_tls'] },
    ])
  })

  it.each([
    [['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--follow'], '"preflight" does not take --follow'],
    [['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--ttl', '5m'], '"preflight" does not take --ttl'],
    [['clusters', 'list', '--primary', 'dc1', '--state', 'failed'], '"clusters list" does not take --primary, --state'],
    [['handshake', 'list', '--follow'], '"handshake list" does not take --follow'],
    [
      ['handshake', 'cancel', 'abc', '--primary-cluster-addr', 'https://lb:8201'],
      '"handshake cancel" does not take --primary-cluster-addr',
    ],
    [['handshake', 'show', 'abc', '--allow-repoint'], '"handshake show" does not take --allow-repoint'],
    [['clusters', 'status', 'dc1', 'dc2'], '"clusters status" does not take the argument dc2'],
    [['preflight', 'dc1', 'dc2', '--primary', 'dc1', '--secondary', 'dc2'], '"preflight" does not take the arguments'],
  ])('exits 2 on %j, naming what does not belong, before calling the gateway', async (args, message) => {
    const io = capture()
    expect(await runCli(args, env)).toBe(2)
    expect(io.err()).toContain(`error: ${message}`)
    expect(seen).toEqual([])
  })

  it('still takes --json and --help with every command', async () => {
    const io = capture()
    expect(await runCli(['preflight', '--primary', 'dc1', '--secondary', 'dc2', '--json'], env)).toBe(0)
    expect(await runCli(['clusters', 'list', '--help'], env)).toBe(0)
    expect(JSON.parse(io.out().split('\n')[0] ?? '')).toMatchObject({ ok: true })
  })
})

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text === '' ? undefined : JSON.parse(text)
}

describe('clusters add', () => {
  it('exits 2 when the agent token file cannot be read, before calling the gateway', async () => {
    const io = capture()
    const env = { VAULT_DR_API_TOKEN: 'gateway-token', VAULT_DR_AGENT_TOKEN_FILE: '/nonexistent/agent-token' }
    const args = ['clusters', 'add', 'dc1', '--role', 'primary', '--agent-url', 'http://127.0.0.1:8410']
    expect(await runCli(args, env)).toBe(2)
    expect(io.err()).toContain('cannot read VAULT_DR_AGENT_TOKEN_FILE /nonexistent/agent-token (ENOENT)')
  })
})

describe('human output', () => {
  it('aligns table columns on the widest cell', () => {
    expect(
      table([
        ['A', 'BB'],
        ['CCC', 'D'],
      ]),
    ).toBe('A    BB\nCCC  D')
  })

  it('shows a step with its duration and its error code', () => {
    const line = renderStep({
      name: 'preflight',
      status: 'failed',
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:01.500Z',
      detail: null,
      error: { code: 'TLS_TERMINATED', detail: 'the cluster port shows another certificate', fix: null },
    })
    expect(line).toMatch(/^✘ preflight\s+1\.5s {2}TLS_TERMINATED: the cluster port shows another certificate$/)
  })

  it('says an interruption as a JSON event with --json (stdout stays JSON lines), else as text on stderr', () => {
    const io = capture()
    const text = '\nstopped following; operation op-1 goes on in the gateway.'
    sayInterrupted(createOutput(true), { operation: 'op-1' }, text)
    sayInterrupted(createOutput(false), { operation: 'op-1' }, text)
    expect(JSON.parse(io.out())).toEqual({
      event: 'interrupted',
      operation: 'op-1',
      detail: 'stopped following; operation op-1 goes on in the gateway.',
    })
    expect(io.err()).toBe(`${text}\n`)
  })

  it("says a failed operation's error once: its step's line names the code, the error below says it all", () => {
    const error = { code: 'GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT', detail: 'dc2 did not catch up in 60 s', fix: null }
    const failed = operation({
      state: 'failed',
      steps: [
        opStep('preflight', 'succeeded', 'both up'),
        opStep('demote_primary', 'succeeded', 'demoted'),
        { ...opStep('wait_catch_up', 'failed'), error },
      ],
      error,
    })
    const shown = renderOperation(failed)
    expect(shown.match(/dc2 did not catch up/g)).toHaveLength(1)
    expect(shown).toMatch(/✘ wait_catch_up\s+0\.0s {2}GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT\n/)
    expect(shown).toContain('error GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT: dc2 did not catch up in 60 s')
    // Followed, the step's line was printed in full as it failed: the outcome points at it.
    expect(renderOutcome(failed)).toContain(
      "error GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT (the wait_catch_up step's, above)",
    )
    // An error of its own (not a step's) is said in full in both.
    const own = operation({ state: 'failed', error: { ...error, detail: 'the lease was lost' } })
    expect(renderOutcome(own)).toContain('error GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT: the lease was lost')
  })

  it('lists an operation at the step it is at: running or failed, else where it stopped, else its first', () => {
    const at = '2026-01-01T00:00:00.000Z'
    const step = (name: string, status: string, started: boolean) => ({
      name,
      status,
      started_at: started ? at : null,
    })
    const names = (...steps: Array<ReturnType<typeof step>>) => currentStep(steps)?.name
    // Cancelled in its pre-hook: the later steps were never run.
    expect(
      names(step('preflight', 'succeeded', true), step('pre_hook', 'skipped', true), step('demote', 'skipped', false)),
    ).toBe('pre_hook')
    expect(
      names(step('preflight', 'succeeded', true), step('demote', 'running', true), step('x', 'pending', false)),
    ).toBe('demote')
    expect(names(step('preflight', 'failed', true), step('demote', 'skipped', false))).toBe('preflight')
    expect(names(step('preflight', 'succeeded', true), step('demote', 'succeeded', true))).toBe('demote')
    expect(names(step('preflight', 'pending', false), step('demote', 'pending', false))).toBe('preflight')
  })
})

describe('cluster status output', () => {
  // A stand-in gateway whose one cluster's Vault reports a DR mode none of ours ("unsupported").
  let server: Server
  let env: NodeJS.ProcessEnv
  const cluster = {
    name: 'dc1',
    role: 'primary',
    agent_url: 'http://127.0.0.1:8410',
    agent: {
      reachable: true,
      status: {
        vault: { reachable: true, sealed: false, version: '1.17.3+ent', ha_role: 'active' },
        replication: { mode: 'unknown', reported_mode: 'unsupported', state: null, connection_state: null },
      },
    },
  }
  // A DR secondary streaming from its primary.
  const follower = {
    ...cluster,
    name: 'dc2',
    role: 'secondary',
    agent: {
      reachable: true,
      status: {
        vault: cluster.agent.status.vault,
        replication: {
          mode: 'secondary',
          state: 'stream-wals',
          connection_state: 'ready',
          secondary_id: 'dc2',
          secondaries: [],
          primaries: [
            {
              node_id: null,
              api_address: 'https://10.0.1.1:8200',
              cluster_address: 'https://10.0.1.1:8201',
              connection_status: 'connected',
            },
          ],
        },
      },
    },
  }
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const one = req.url?.startsWith('/v1/clusters/dc2') ? follower : cluster
      res.end(JSON.stringify(req.url?.startsWith('/v1/clusters/') ? one : { clusters: [cluster] }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    env = { VAULT_DR_GATEWAY_ADDR: `http://127.0.0.1:${port}`, VAULT_DR_API_TOKEN: 'gateway-token' }
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('shows a DR mode none of ours as Vault reported it, in the fleet table and in one cluster', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], env)).toBe(0)
    expect(await runCli(['clusters', 'status', 'dc1'], env)).toBe(0)
    expect(io.out()).toMatch(
      /dc1\s+primary\s+http:\/\/127\.0\.0\.1:8410\s+1\.17\.3\+ent active\s+unknown \(unsupported\)/,
    )
    expect(io.out()).toContain('dr:    unknown (unsupported) -')
  })

  it('names the primary a secondary follows, and its id there', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'status', 'dc2'], env)).toBe(0)
    expect(io.out()).toContain('primary https://10.0.1.1:8200 as dc2: connected')
  })
})
