import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { SecretBox } from '../../services/gateway/src/store/secret-box.ts'
import { allOutput } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

const execFileAsync = promisify(execFile)
const secrets: string[] = []
let stack: E2EStack
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(secrets)
})

async function vaultDr(args: string[], input = '') {
  const running = execFileAsync(process.execPath, [`${repoRoot}packages/cli/bin/vault-dr.js`, ...args], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      VAULT_DR_GATEWAY_ADDR: stack.gateway.url,
      VAULT_DR_API_TOKEN_FILE: stack.gatewayTokenFile,
    },
  })
  running.child.stdin?.end(input)
  const result = await running.then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
  allOutput.push(...`${result.stdout}\n${result.stderr}`.split('\n').map((l) => `[cli] ${l}`))
  return result
}

/** The DR operation tokens the gateway keeps for dc1, opened with its store key (here its API token). */
function keptTokens(): { current: string; previous: string | undefined; expiresAt: string } {
  const dir = dirname(stack.gatewayTokenFile)
  const box = new SecretBox(readFileSync(stack.gatewayTokenFile, 'utf8').trim())
  const db = new DatabaseSync(join(dir, 'gateway.sqlite'), { readOnly: true })
  try {
    const row = db.prepare("SELECT * FROM dr_operation_tokens WHERE primary_name = 'dc1'").get()
    if (row === undefined) throw new Error('no DR operation token kept yet')
    const open = (v: unknown) =>
      v === null ? undefined : box.open(new Uint8Array(v as Uint8Array), 'dr-operation-token/dc1')
    const current = open(row.token_sealed)
    if (current === undefined) throw new Error('the kept token does not open')
    return { current, previous: open(row.previous_sealed), expiresAt: String(row.expires_at) }
  } finally {
    db.close()
  }
}

/** Whether dc2 accepts the token now, asked through its agent's check. */
async function acceptedBySecondary(token: string): Promise<boolean> {
  const agentToken = readFileSync(join(dirname(stack.gatewayTokenFile), 'secondary-api-token'), 'utf8')
  const res = await fetch(`${stack.secondaryAgent.url}/v1/dr/operation-token/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  const body = (await res.json()) as { valid: boolean }
  expect(JSON.stringify(body)).not.toContain(token)
  return body.valid
}

describe('pairs after a handshake, with DR operation tokens kept by vault-dr', () => {
  it('shows dc2 ready once a token is kept, and the secondary accepts that token', async () => {
    stack = await startE2EStack({
      gatewayEnv: {
        VAULT_DR_PAIRS_UPKEEP_MS: '250',
        VAULT_DR_OPERATION_TOKEN_TTL: '6s',
        VAULT_DR_OPERATION_TOKEN_MIN_REMAINING: '1s',
      },
    })
    secrets.push(...stack.secrets)
    const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')

    await expect
      .poll(async () => (await vaultDr(['pairs', 'show', 'dc2', '--json'])).code, { timeout: 10_000, interval: 250 })
      .toBe(0)
    const shown = await vaultDr(['pairs', 'show', 'dc2', '--json'])
    const readiness = JSON.parse(shown.stdout)
    expect(readiness.ready).toBe(true)
    expect(readiness.checks.find((c: { name: string }) => c.name === 'dr_token_on_secondary').status).toBe('pass')
    const { current } = keptTokens()
    secrets.push(current)
    expect(await acceptedBySecondary(current)).toBe(true)
    const listed = await vaultDr(['pairs', 'list'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/dc2\s+dc1\s+dc2\s+stream-wals\/ready/)
    for (const text of [shown.stdout, listed.stdout]) expect(text).not.toContain(current)
  })

  it('re-issues the token before it expires: at every sample the kept token works on the secondary', async () => {
    const seen = new Set<string>()
    const samples: boolean[] = []
    // A 6 s TTL is re-issued at 3 s: sampling until two more tokens were kept spans two rotations.
    while (seen.size < 3) {
      const { current, previous } = keptTokens()
      for (const t of [current, previous]) if (t !== undefined && !secrets.includes(t)) secrets.push(t)
      seen.add(current)
      samples.push(await acceptedBySecondary(current))
      await sleep(200)
    }
    expect(samples.length).toBeGreaterThan(5)
    expect(samples.every(Boolean)).toBe(true)
  })

  it("makes a ceremony token from the primary's key share piped to the CLI, kept sealed, never shown", async () => {
    const shares = stack.primary.unsealKeys
    secrets.push(...shares)
    const wrong = await vaultDr(['dr-token', 'ceremony', 'dc2'], `${Buffer.alloc(33, 5).toString('base64')}\n`)
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toContain('GATEWAY_ERR_CEREMONY_SHARE_REJECTED')
    const done = await vaultDr(['dr-token', 'ceremony', 'dc2', '--json'], `${shares.join('\n')}\n`)
    expect(done.code, done.stdout + done.stderr).toBe(0)
    expect(JSON.parse(done.stdout)).toMatchObject({ secondary: 'dc2', complete: true })
    const db = new DatabaseSync(join(dirname(stack.gatewayTokenFile), 'gateway.sqlite'), { readOnly: true })
    const row = db.prepare("SELECT token_sealed FROM dr_ceremony_tokens WHERE secondary_name = 'dc2'").get()
    db.close()
    const box = new SecretBox(readFileSync(stack.gatewayTokenFile, 'utf8').trim())
    const token =
      row === undefined ? undefined : box.open(new Uint8Array(row.token_sealed as Uint8Array), 'dr-ceremony-token/dc2')
    if (token === undefined) throw new Error('no ceremony token kept')
    secrets.push(token)
    for (const text of [done.stdout, done.stderr, wrong.stdout, wrong.stderr]) {
      expect(text).not.toContain(token)
      for (const share of shares) expect(text).not.toContain(share)
    }
  })

  it('rotates on demand through the CLI, never printing the token, and the kept token promotes dc2 by hand', async () => {
    const rotated = await vaultDr(['dr-token', 'rotate', 'dc2', '--json'])
    expect(rotated.code, rotated.stdout).toBe(0)
    const result = JSON.parse(rotated.stdout)
    expect(result.check.outcome).toBe('valid')
    const { current, previous } = keptTokens()
    secrets.push(current)
    // The one before (issued by the upkeep at most 3 s ago, for 6 s) is kept beside it and still works.
    if (previous === undefined) throw new Error('the token before was not kept')
    expect(previous).not.toBe(current)
    expect(await acceptedBySecondary(previous)).toBe(true)
    expect(rotated.stdout).not.toContain(current)

    // The promote an operator would send in a disaster, through plain HTTP with the token vault-dr kept.
    const res = await fetch(`${stack.secondary.apiUrl}/v1/sys/replication/dr/secondary/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dr_operation_token: current }),
    })
    expect(res.status, await res.text()).toBeLessThan(300)
    await expect.poll(() => stack.secondary.state().drMode, { timeout: 5_000 }).toBe('primary')
  })
})
