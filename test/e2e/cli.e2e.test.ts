import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allOutput } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

const execFileAsync = promisify(execFile)
let stack: E2EStack

async function vaultDr(args: string[], env: Record<string, string> = {}) {
  const result = await execFileAsync(process.execPath, [`${repoRoot}packages/cli/bin/vault-dr.js`, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      VAULT_DR_GATEWAY_ADDR: stack.gateway.url,
      VAULT_DR_API_TOKEN_FILE: stack.gatewayTokenFile,
      ...env,
    },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
  allOutput.push(...`${result.stdout}\n${result.stderr}`.split('\n').map((l) => `[cli] ${l}`))
  return result
}

beforeAll(async () => {
  stack = await startE2EStack()
})
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

describe('the vault-dr CLI against a running gateway', () => {
  it('lists the registered clusters with their live status, as a table and as JSON', async () => {
    const human = await vaultDr(['clusters', 'list'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/dc1\s+primary/)
    expect(human.stdout).toMatch(/dc2\s+secondary/)
    const json = await vaultDr(['clusters', 'list', '--json'])
    expect(
      JSON.parse(json.stdout)
        .map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(['dc1', 'dc2'])
  })

  it('runs a preflight, then a handshake with live progress, and exits 0 when it succeeds', async () => {
    const preflight = await vaultDr(['preflight', '--primary', 'dc1', '--secondary', 'dc2'])
    expect(preflight.code, preflight.stderr).toBe(0)
    expect(preflight.stdout).toContain('preflight passed')
    const start = await vaultDr(['handshake', 'start', '--primary', 'dc1', '--secondary', 'dc2', '--follow'])
    expect(start.code, start.stdout + start.stderr).toBe(0)
    for (const step of ['preflight', 'enable_primary', 'mint_token', 'inspect_token', 'activate_secondary', 'verify']) {
      expect(start.stdout).toMatch(new RegExp(`✔ ${step}`))
    }
    const id = /handshake (\S+) succeeded/.exec(start.stdout)?.[1]
    expect(id, start.stdout).toBeDefined()
    const list = await vaultDr(['handshake', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((h: { id: string }) => h.id)).toContain(id)
    const show = await vaultDr(['handshake', 'show', id as string])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toContain(`handshake ${id}: dc1 → dc2 (secondary id dc2): succeeded`)
  })

  it('exits 3 with the gateway’s diagnosis for an unknown handshake, 2 on usage errors, 4 when unreachable', async () => {
    const unknown = await vaultDr(['handshake', 'show', 'no-such-id'])
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toContain('GATEWAY_ERR_HANDSHAKE_NOT_FOUND')
    expect((await vaultDr(['handshake', 'start', '--primary', 'dc1'])).code).toBe(2)
    expect((await vaultDr(['clusters', 'list'], { VAULT_DR_API_TOKEN_FILE: '' })).code).toBe(2)
    const down = await vaultDr(['clusters', 'list'], { VAULT_DR_GATEWAY_ADDR: 'http://127.0.0.1:9' })
    expect(down.code).toBe(4)
  })

  it('refuses a wrong API token with exit 3', async () => {
    const res = await vaultDr(['clusters', 'list'], { VAULT_DR_API_TOKEN_FILE: '', VAULT_DR_API_TOKEN: 'wrong-token' })
    expect(res.code).toBe(3)
    expect(res.stderr).toContain('CORE_ERR_UNAUTHORIZED')
  })
})
