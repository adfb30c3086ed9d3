import { readFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { checkNames } from '../src/check-names.ts'
import { COMMANDS, OPTION_HELP } from '../src/command-specs.ts'
import { runCli } from '../src/main.ts'
import { check, handshake, step } from './fixtures.ts'
import { type Answer, capture, problem, type Route, startStandInGateway } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('help', () => {
  it.each(Object.keys(COMMANDS))(
    '"%s --help" and "-h" show its usage and each of its options, and exit 0',
    async (name) => {
      const io = capture()
      const words = name.split(' ')
      expect(await runCli([...words, '--help'], {})).toBe(0)
      const long = io.out()
      expect(long.startsWith(`vault-dr ${name}`)).toBe(true)
      for (const option of [...(COMMANDS[name]?.options ?? []), 'json' as const]) {
        expect(long).toContain(`--${option}`)
        expect(long).toContain(OPTION_HELP[option].text.split(' ').slice(0, 4).join(' '))
      }
      expect(await runCli([...words, '-h'], {})).toBe(0)
      expect(await runCli(['help', ...words], {})).toBe(0)
      expect(io.out()).toBe(long.repeat(3))
      expect(io.err()).toBe('')
    },
  )

  it('lists every check --skip-check takes in the help of preflight and handshake start, from the gateway’s API', async () => {
    const spec = JSON.parse(readFileSync(new URL('../../../services/gateway/openapi.json', import.meta.url), 'utf8'))
    const schemas = Object.values(spec.components.schemas) as Array<{ enum?: string[] }>
    const inSpec = schemas.find((s) => s.enum?.includes('cluster_fingerprint'))?.enum
    const names = checkNames()
    expect(names.length).toBeGreaterThan(10)
    expect([...names].sort()).toEqual([...(inSpec ?? [])].sort())
    const io = capture()
    await runCli(['preflight', '--help'], {})
    await runCli(['handshake', 'start', '--help'], {})
    const [preflight, start] = io
      .out()
      .split('vault-dr handshake start')
      .map((t) => t.replace(/\s+/g, ' '))
    for (const name of names) {
      expect(preflight).toContain(name)
      expect(start).toContain(name)
    }
  })

  it('shows a group’s commands: exit 0 when asked for, 2 when the command is missing', async () => {
    const io = capture()
    expect(await runCli(['clusters', '--help'], {})).toBe(0)
    for (const sub of ['add', 'list', 'status', 'remove']) expect(io.out()).toContain(`vault-dr clusters ${sub}`)
    expect(await runCli(['handshake'], {})).toBe(2)
    expect(io.err()).toContain('error: "handshake" needs a command')
    for (const sub of ['start', 'follow', 'show', 'list', 'cancel'])
      expect(io.err()).toContain(`vault-dr handshake ${sub}`)
  })

  it('prints the version of the CLI package with --version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    const io = capture()
    expect(await runCli(['--version'], {})).toBe(0)
    expect(await runCli(['--version', '--json'], {})).toBe(0)
    expect(io.out()).toBe(`vault-dr ${pkg.version}\n${JSON.stringify({ version: pkg.version })}\n`)
  })

  it('answers a Vault habit (-format=json) with what vault-dr takes instead', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list', '-format=json'], {})).toBe(2)
    expect(io.err()).toContain("Unknown option '-f' (vault-dr takes --json for JSON output)")
    expect(io.err()).not.toContain("after '--'")
  })
})

describe('a stand-in gateway', () => {
  const routes: Record<string, Route> = {}
  let gateway: Awaited<ReturnType<typeof startStandInGateway>>
  const answer = (key: string, ...answers: Answer[]) => {
    let i = 0
    routes[key] = () => answers[Math.min(i++, answers.length - 1)] as Answer
  }
  beforeAll(async () => {
    gateway = await startStandInGateway(routes)
  })
  afterAll(() => gateway.close())
  beforeEach(() => {
    gateway.seen.length = 0
    for (const key of Object.keys(routes)) delete routes[key]
  })

  describe('--json errors', () => {
    it('prints a refusal as JSON on stdout with code, detail and the fix in CLI terms, exit 3', async () => {
      answer(
        'GET /v1/handshakes/nope',
        problem(
          404,
          'GATEWAY_ERR_HANDSHAKE_NOT_FOUND',
          'No handshake nope',
          'List handshakes with GET /v1/handshakes.',
        ),
      )
      const io = capture()
      expect(await runCli(['handshake', 'show', 'nope', '--json'], gateway.env)).toBe(3)
      expect(io.err()).toBe('')
      expect(JSON.parse(io.out())).toEqual({
        code: 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND',
        detail: 'No handshake nope',
        fix: 'List the handshakes with "vault-dr handshake list".',
        title: 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND',
        status: 404,
        instance: 'req-1',
      })
    })

    it('keeps the exit codes: 4 for a gateway failure, 2 for usage and configuration errors, 4 unreachable', async () => {
      answer('GET /v1/clusters', problem(500, 'CORE_ERR_INTERNAL', 'boom'))
      const io = capture()
      const codes = [
        await runCli(['clusters', 'list', '--json'], gateway.env),
        await runCli(['clusters', 'add', 'dc1', '--json'], gateway.env),
        await runCli(['clusters', 'list', '--json', '--bogus'], gateway.env),
        await runCli(['clusters', 'list', '--json'], { VAULT_DR_GATEWAY_ADDR: gateway.env.VAULT_DR_GATEWAY_ADDR }),
        await runCli(['clusters', 'list', '--json'], {
          VAULT_DR_API_TOKEN: 't',
          VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:9',
        }),
      ]
      expect(codes).toEqual([4, 2, 2, 2, 4])
      expect(io.err()).toBe('')
      const reports = io
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(reports.map((r) => r.code)).toEqual([
        'CORE_ERR_INTERNAL',
        'CLI_ERR_USAGE',
        'CLI_ERR_USAGE',
        'CORE_ERR_CONFIG',
        'CLI_ERR_GATEWAY_UNREACHABLE',
      ])
      expect(reports[1].detail).toBe('--role is required')
      expect(reports[2].detail).toBe("Unknown option '--bogus'")
      expect(reports[3].detail).toContain('VAULT_DR_API_TOKEN')
      expect(reports[4].fix).toContain('VAULT_DR_GATEWAY_ADDR')
      for (const r of reports) expect(Object.keys(r)).toEqual(expect.arrayContaining(['code', 'detail', 'fix']))
    })

    it('refuses an unknown --skip-check before calling the gateway, listing the valid names', async () => {
      const io = capture()
      const args = [
        'preflight',
        '--primary',
        'dc1',
        '--secondary',
        'dc2',
        '--skip-check',
        'api_tls',
        '--skip-check',
        'tls',
      ]
      expect(await runCli([...args, '--json'], gateway.env)).toBe(2)
      expect(await runCli(['handshake', 'start', ...args.slice(1)], gateway.env)).toBe(2)
      expect(gateway.seen).toEqual([])
      const report = JSON.parse(io.out())
      expect(report).toMatchObject({ code: 'CLI_ERR_UNKNOWN_CHECK', detail: '--skip-check does not know "tls"' })
      for (const name of checkNames()) expect(report.fix).toContain(name)
      expect(io.err()).toContain('error: --skip-check does not know "tls"')
      expect(io.err()).toContain('fix:  Name checks exactly as preflight shows them: primary_vault, ')
    })
  })

  describe('clusters remove', () => {
    it('deletes the cluster through the gateway and says so', async () => {
      answer('DELETE /v1/clusters/dc3', { status: 204 })
      const io = capture()
      expect(await runCli(['clusters', 'remove', 'dc3'], gateway.env)).toBe(0)
      expect(await runCli(['clusters', 'remove', 'dc3', '--json'], gateway.env)).toBe(0)
      expect(await runCli(['clusters', 'remove', 'dc3', '--site-lost'], gateway.env)).toBe(0)
      expect(gateway.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
        'DELETE /v1/clusters/dc3',
        'DELETE /v1/clusters/dc3',
        'DELETE /v1/clusters/dc3?site_lost=true',
      ])
      expect(io.out()).toBe(`removed dc3\n${JSON.stringify({ removed: 'dc3' })}\nremoved dc3\n`)
    })

    it('exits 3 on an unknown cluster and on one a running handshake uses, with CLI fixes', async () => {
      answer(
        'DELETE /v1/clusters/dc9',
        problem(404, 'GATEWAY_ERR_CLUSTER_NOT_FOUND', 'No cluster named dc9', 'GET /v1/clusters'),
      )
      answer(
        'DELETE /v1/clusters/dc1',
        problem(409, 'GATEWAY_ERR_CLUSTER_IN_USE', 'part of hs-1', 'POST /v1/handshakes/{id}/cancel'),
      )
      const io = capture()
      expect(await runCli(['clusters', 'remove', 'dc9'], gateway.env)).toBe(3)
      expect(await runCli(['clusters', 'remove', 'dc1'], gateway.env)).toBe(3)
      expect(io.err()).toContain('fix:  List the registered clusters with "vault-dr clusters list"')
      expect(io.err()).toContain('"vault-dr operations cancel <id>"')
      expect(io.err()).not.toContain('/v1/')
    })

    it('needs the cluster name', async () => {
      const io = capture()
      expect(await runCli(['clusters', 'remove'], gateway.env)).toBe(2)
      expect(io.err()).toContain('error: <name> is required')
      expect(gateway.seen).toEqual([])
    })
  })

  describe('handshake follow', () => {
    const warned = [check('api_tls', 'warn', 'API_NOT_TLS', "Serve the primary's API over TLS.")]
    // The preflight's checks, and the same check again after enable_primary (the cluster checks run twice).
    const warnedTwice = [...warned, ...warned]

    it('prints each step once as it changes, the preflight warnings with their fixes, and exits 0 on success', async () => {
      answer(
        'GET /v1/handshakes/hs-1',
        { status: 200, body: handshake('running', 0) },
        { status: 200, body: handshake('running', 1, { checks: warnedTwice }) },
        { status: 200, body: handshake('running', 1, { checks: warnedTwice }) },
        { status: 200, body: handshake('succeeded', 6, { checks: warnedTwice }) },
      )
      const io = capture()
      expect(await runCli(['handshake', 'follow', 'hs-1'], gateway.env)).toBe(0)
      const out = io.out()
      expect(out).toMatch(/^following handshake hs-1\n/)
      expect(out.match(/✔ preflight/g)).toHaveLength(1)
      expect(out.match(/fix \(api_tls, warning\): Serve the primary's API over TLS\./g)).toHaveLength(1)
      expect(out).toMatch(/✔ verify/)
      expect(out.trimEnd().endsWith('handshake hs-1 succeeded')).toBe(true)
    })

    it('exits 1 when the handshake fails, with its error and the fix in CLI terms; one JSON line per event', async () => {
      const failed = handshake('failed', 0, {
        steps: [step('preflight', 'failed')],
        error: {
          code: 'GATEWAY_ERR_SECONDARY_ID_NOT_OURS',
          detail: 'dc2 is known',
          fix: "the primary agent's revokeSecondary",
        },
      })
      answer('GET /v1/handshakes/hs-1', { status: 200, body: failed })
      const io = capture()
      expect(await runCli(['handshake', 'follow', 'hs-1'], gateway.env)).toBe(1)
      expect(io.out()).toContain('error GATEWAY_ERR_SECONDARY_ID_NOT_OURS: dc2 is known')
      expect(io.out()).toContain('vault write sys/replication/dr/primary/revoke-secondary id=<id>')
      expect(io.out()).not.toContain('revokeSecondary')
      expect(await runCli(['handshake', 'follow', 'hs-1', '--json'], gateway.env)).toBe(1)
      const events = io
        .out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
      expect(events.map((e) => e.event)).toEqual(['step', 'finished'])
      expect(events[1].handshake.state).toBe('failed')
    })

    it('reads again after a 5xx (a gateway restarting) or a 429, and goes on where it was', async () => {
      answer(
        'GET /v1/handshakes/hs-1',
        { status: 200, body: handshake('running', 1) },
        problem(503, 'GATEWAY_ERR_STORE_UNAVAILABLE', 'the store does not answer'),
        problem(429, 'CORE_ERR_RATE_LIMITED', 'too many requests'),
        { status: 200, body: handshake('succeeded', 6) },
      )
      const io = capture()
      expect(await runCli(['handshake', 'follow', 'hs-1'], gateway.env)).toBe(0)
      expect(io.err()).toContain('(the gateway did not answer; reading again)')
      expect(io.out().match(/✔ preflight/g)).toHaveLength(1)
      expect(io.out().trimEnd().endsWith('handshake hs-1 succeeded')).toBe(true)
    })

    it('exits 3 for an unknown handshake', async () => {
      answer('GET /v1/handshakes/nope', problem(404, 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND', 'No handshake nope'))
      const io = capture()
      expect(await runCli(['handshake', 'follow', 'nope'], gateway.env)).toBe(3)
      expect(io.err()).toContain('vault-dr handshake list')
    })

    it('is what "handshake start" without --follow points to', async () => {
      answer('POST /v1/handshakes', { status: 202, body: handshake('pending', 0) })
      const io = capture()
      expect(await runCli(['handshake', 'start', '--primary', 'dc1', '--secondary', 'dc2'], gateway.env)).toBe(0)
      expect(io.out()).toBe('handshake hs-1 pending\nfollow it with: vault-dr handshake follow hs-1\n')
    })
  })

  describe('preflight output', () => {
    it('shows the fix of each warning as well as of each failure', async () => {
      const checks = [
        check('primary_vault', 'pass', 'OK'),
        check('api_tls', 'warn', 'API_NOT_TLS', 'Serve it over TLS.'),
        check('api_vault', 'warn', 'DR_NOT_ENABLED', 'Enable DR primary on it (sys/replication/dr/primary/enable).'),
        check('api_tcp', 'fail', 'CONNECTION_REFUSED', 'Open 8200.'),
      ]
      answer('POST /v1/preflight', { status: 200, body: { ok: false, already_replicating: false, checks } })
      const io = capture()
      expect(await runCli(['preflight', '--primary', 'dc1', '--secondary', 'dc2'], gateway.env)).toBe(1)
      expect(io.out()).toContain(
        'fix (api_tls, warning): Serve it over TLS.\nfix (api_vault, warning): Nothing to do before a handshake: its enable_primary step enables DR on the primary, then checks the cluster port again.\nfix (api_tcp): Open 8200.\npreflight failed',
      )
    })
  })

  describe('handshake show', () => {
    it('shows the warnings once each, with their fixes, also when the post-enable re-check repeats one', async () => {
      const tls = check('api_tls', 'warn', 'API_NOT_TLS', 'Serve it over TLS.')
      answer('GET /v1/handshakes/hs-1', {
        status: 200,
        body: handshake('succeeded', 6, {
          checks: [tls, check('primary_vault', 'pass', 'OK'), { ...tls, phase: 'post_enable' }],
        }),
      })
      const io = capture()
      expect(await runCli(['handshake', 'show', 'hs-1'], gateway.env)).toBe(0)
      expect(io.out().match(/!\s+api_tls/g)).toHaveLength(1)
      expect(io.out().match(/fix \(api_tls, warning\): Serve it over TLS\./g)).toHaveLength(1)
      expect(io.out()).not.toContain('primary_vault')
    })
  })
})
