import { describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/main.ts'
import { table } from '../src/output.ts'
import { renderStep } from '../src/render-handshake.ts'

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
    vi.restoreAllMocks()
  })

  it('exits 2 on an unknown flag, naming it', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list', '--token', 'x'], {})).toBe(2)
    expect(io.err()).toContain("Unknown option '--token'")
    vi.restoreAllMocks()
  })

  it('exits 2 without a gateway token, saying which variables to set', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], { VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:8400' })).toBe(2)
    expect(io.err()).toContain('VAULT_DR_API_TOKEN')
    vi.restoreAllMocks()
  })

  it('exits 2 on a gateway address that is not a URL', async () => {
    const io = capture()
    expect(await runCli(['clusters', 'list'], { VAULT_DR_GATEWAY_ADDR: 'nowhere', VAULT_DR_API_TOKEN: 't' })).toBe(2)
    expect(io.err()).toContain('VAULT_DR_GATEWAY_ADDR')
    vi.restoreAllMocks()
  })
})

describe('clusters add', () => {
  it('exits 2 when the agent token file cannot be read, before calling the gateway', async () => {
    const io = capture()
    const env = { VAULT_DR_API_TOKEN: 'gateway-token', VAULT_DR_AGENT_TOKEN_FILE: '/nonexistent/agent-token' }
    const args = ['clusters', 'add', 'dc1', '--role', 'primary', '--agent-url', 'http://127.0.0.1:8410']
    expect(await runCli(args, env)).toBe(2)
    expect(io.err()).toContain('cannot read VAULT_DR_AGENT_TOKEN_FILE /nonexistent/agent-token (ENOENT)')
    vi.restoreAllMocks()
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
})
