import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allOutput } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

const execFileAsync = promisify(execFile)
let stack: E2EStack
let scratch = ''

async function vaultDr(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [`${repoRoot}packages/cli/bin/vault-dr.js`, ...args], env)
}

async function run(file: string, args: string[], env: Record<string, string> = {}) {
  const result = await execFileAsync(file, args, {
    cwd: repoRoot,
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
  scratch = mkdtempSync(join(tmpdir(), 'vault-dr-cli-e2e-'))
})
afterAll(async () => {
  await stack?.close()
  rmSync(scratch, { recursive: true, force: true })
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

describe('the CLI as the demo prints it, on a checkout that was never built', () => {
  it('runs "npx vault-dr" with no file of any dist/ folder loaded', async () => {
    // Stands in for a fresh clone: any module of a dist/ folder of ours fails to load, as it would be missing.
    const hook = join(scratch, 'no-dist.mjs')
    const ours = JSON.stringify(pathToFileURL(repoRoot).href)
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module'
registerHooks({ resolve(specifier, context, next) {
  const resolved = next(specifier, context)
  const rest = resolved.url.startsWith(${ours}) ? resolved.url.slice(${ours}.length) : ''
  if (/^(packages|services)\\/[^/]+\\/dist\\//.test(rest)) throw Object.assign(new Error('Cannot find module ' + resolved.url), { code: 'ERR_MODULE_NOT_FOUND' })
  return resolved
} })
`,
    )
    const noDist = { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` }
    // The stand-in works: loading the CLI without the source condition, as the bin once did, fails.
    const old = await run(
      process.execPath,
      ['-e', `await import(${JSON.stringify(`${repoRoot}packages/cli/src/main.ts`)})`],
      noDist,
    )
    expect(old.code).not.toBe(0)
    expect(old.stderr).toMatch(/Cannot find module .*core\/dist\/index\.js/)

    const env = { ...noDist, PATH: `${repoRoot}node_modules/.bin:${process.env.PATH ?? ''}` }
    const list = await run('npx', ['vault-dr', 'clusters', 'list'], env)
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/dc1\s+primary/)
    const handshakes = await run('npx', ['vault-dr', 'handshake', 'list'], env)
    expect(handshakes.code, handshakes.stderr).toBe(0)
    expect(handshakes.stdout).toMatch(/^ID\s+STATE/)
  })
})

describe('commands that re-attach, remove and diagnose', () => {
  it('follows a handshake started without --follow, by the id it printed', async () => {
    const start = await vaultDr(['handshake', 'start', '--primary', 'dc1', '--secondary', 'dc2'])
    expect(start.code, start.stderr).toBe(0)
    const id = /follow it with: vault-dr handshake follow (\S+)/.exec(start.stdout)?.[1]
    expect(id, start.stdout).toBeDefined()
    const follow = await vaultDr(['handshake', 'follow', id as string])
    expect(follow.code, follow.stdout + follow.stderr).toBe(0)
    expect(follow.stdout).toContain(`following handshake ${id}`)
    expect(follow.stdout).toContain(`handshake ${id} succeeded`)
    const json = await vaultDr(['handshake', 'follow', id as string, '--json'])
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ event: 'finished' })
  })

  it('prints a refusal under --json as JSON on stdout, with the same exit code', async () => {
    const res = await vaultDr(['handshake', 'follow', 'no-such-id', '--json'])
    expect(res.code).toBe(3)
    expect(res.stderr).toBe('')
    expect(JSON.parse(res.stdout)).toMatchObject({
      code: 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND',
      fix: 'List the handshakes with "vault-dr handshake list".',
    })
  })

  it('tells a wrong agent token from an unreachable agent, exits 1 for them, and removes a cluster', async () => {
    const wrongToken = randomBytes(24).toString('base64url')
    stack.secrets.push(wrongToken)
    const tokenFile = join(scratch, 'wrong-agent-token')
    writeFileSync(tokenFile, wrongToken, { mode: 0o600 })
    const add = (name: string, url: string) =>
      vaultDr(['clusters', 'add', name, '--role', 'primary', '--agent-url', url], {
        VAULT_DR_AGENT_TOKEN_FILE: tokenFile,
      })
    // A good registration says what the agent found; a bad one is registered, and told at once it cannot be used.
    // dc1's own agent, registered again: with a wrong token, then with its own.
    const goodFile = join(scratch, 'good-agent-token')
    writeFileSync(goodFile, stack.apiTokens.primaryAgent, { mode: 0o600 })
    const wrong = await add('dc1', stack.primaryAgent.url)
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toContain(`registered dc1 (primary) at ${stack.primaryAgent.url}, but agent refused`)
    expect(wrong.stdout).toContain('fix: Register the cluster again with the agent')
    const unreachable = await add('dc4', 'http://127.0.0.1:9')
    expect(unreachable.code).toBe(1)
    expect(unreachable.stdout).toMatch(/registered dc4 .*, but agent unreachable \(ECONNREFUSED\)/)
    // Another name for dc1's agent is refused: one agent serves one cluster.
    const twice = await add('dc3', stack.primaryAgent.url)
    expect(twice.code).toBe(3)
    expect(twice.stderr).toContain('GATEWAY_ERR_AGENT_URL_IN_USE')
    expect(twice.stderr).toContain('"vault-dr clusters list" shows which cluster has this one')

    const list = await vaultDr(['clusters', 'list'])
    expect(list.code).toBe(1)
    expect(list.stdout).toMatch(/dc1\s+.*agent refused the gateway's token \(GATEWAY_ERR_AGENT_UNAUTHORIZED\)/)
    expect(list.stdout).toMatch(/dc4\s+.*agent unreachable \(ECONNREFUSED\)/)
    expect(list.stdout).toContain('fix (dc1): Register the cluster again with the agent')
    const status = await vaultDr(['clusters', 'status', 'dc1', '--json'])
    expect(status.code).toBe(1)
    expect(JSON.parse(status.stdout).health).toMatchObject({ healthy: false })
    const good = await vaultDr(['clusters', 'add', 'dc1', '--role', 'primary', '--agent-url', stack.primaryAgent.url], {
      VAULT_DR_AGENT_TOKEN_FILE: goodFile,
    })
    expect(good.code, good.stdout).toBe(0)
    expect(good.stdout).toMatch(/^registered dc1 \(primary\) at \S+: Vault \S+ active, DR mode (primary|disabled)\n$/)
    expect((await vaultDr(['clusters', 'status', 'dc1'])).code).toBe(0)

    const removed = await vaultDr(['clusters', 'remove', 'dc4'])
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toBe('removed dc4\n')
    expect((await vaultDr(['clusters', 'list'])).code).toBe(0)
    const again = await vaultDr(['clusters', 'remove', 'dc3'])
    expect(again.code).toBe(3)
    expect(again.stderr).toContain('vault-dr clusters list')
  })
})
