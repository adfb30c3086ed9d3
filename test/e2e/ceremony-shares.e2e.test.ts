import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretBox } from '../../services/gateway/src/store/secret-box.ts'
import { allOutput } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'

const secrets: string[] = []
let stack: E2EStack
let shares: string[] = []
beforeAll(async () => {
  // Three of five shares unseal both clusters; after activation dc2 takes its primary's shares, as Vault does.
  stack = await startE2EStack({ keyShares: { shares: 5, threshold: 3 } })
  secrets.push(...stack.secrets)
  shares = stack.primary.unsealKeys
  secrets.push(...shares)
  const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
  if (done.state !== 'succeeded') throw new Error(`the handshake ${done.state}: ${JSON.stringify(done.error)}`)
})
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(secrets)
})

/** `vault-dr dr-token ceremony dc2` with stdin a pipe the test writes shares to, one line at a time. */
function ceremony(args: string[] = []) {
  const cli = spawn(
    process.execPath,
    [`${repoRoot}packages/cli/bin/vault-dr.js`, 'dr-token', 'ceremony', 'dc2', ...args],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        VAULT_DR_GATEWAY_ADDR: stack.gateway.url,
        VAULT_DR_API_TOKEN_FILE: stack.gatewayTokenFile,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const run = { stdout: '', stderr: '', exited: once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]> }
  cli.stdout.on('data', (chunk) => {
    run.stdout += chunk
  })
  cli.stderr.on('data', (chunk) => {
    run.stderr += chunk
  })
  return {
    run,
    cli,
    /** Writes one share and waits until the CLI says how far the ceremony got. */
    async feed(share: string, answer: RegExp) {
      cli.stdin.write(`${share}\n`)
      await expect.poll(() => run.stderr, { timeout: 15_000, interval: 50 }).toMatch(answer)
    },
    async finish() {
      const [code] = await run.exited
      allOutput.push(...`${run.stdout}\n${run.stderr}`.split('\n').map((l) => `[cli] ${l}`))
      return code
    },
  }
}

/** The ceremony attempt as dc2's Vault sees it (the status path needs no token, as in Vault). */
async function attempt(): Promise<{ started: boolean; progress: number; required: number }> {
  const res = await fetch(`${stack.secondary.apiUrl}/v1/sys/replication/dr/secondary/generate-operation-token/attempt`)
  return (await res.json()) as { started: boolean; progress: number; required: number }
}

/** The ceremony token the gateway keeps for dc2, opened with its store key (here its API token). */
function keptCeremonyToken(): string | undefined {
  const db = new DatabaseSync(join(dirname(stack.gatewayTokenFile), 'gateway.sqlite'), { readOnly: true })
  try {
    const row = db.prepare("SELECT token_sealed FROM dr_ceremony_tokens WHERE secondary_name = 'dc2'").get()
    if (row === undefined) return undefined
    const box = new SecretBox(readFileSync(stack.gatewayTokenFile, 'utf8').trim())
    return box.open(new Uint8Array(row.token_sealed as Uint8Array), 'dr-ceremony-token/dc2')
  } finally {
    db.close()
  }
}

/** Whether dc2 accepts a DR operation token, asked through its agent's check. */
async function acceptedBySecondary(token: string): Promise<boolean> {
  const res = await fetch(`${stack.secondaryAgent.url}/v1/dr/operation-token/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiTokens.secondaryAgent}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  return ((await res.json()) as { valid: boolean }).valid
}

describe('vault-dr dr-token ceremony with three of five key shares on stdin', () => {
  it('ends the input after two shares: the attempt is cancelled on dc2 and the CLI says what to do', async () => {
    const c = ceremony()
    await expect.poll(() => c.run.stderr, { timeout: 15_000 }).toMatch(/3 of the primary's key shares needed/)
    await c.feed(shares[0] ?? '', /share accepted: 1 of 3/)
    expect(await attempt()).toMatchObject({ started: true, progress: 1, required: 3 })
    await c.feed(shares[1] ?? '', /share accepted: 2 of 3/)
    c.cli.stdin.end()
    expect(await c.finish()).toBe(1)
    expect(c.run.stderr).toContain('CLI_ERR_CEREMONY_INCOMPLETE')
    expect(c.run.stderr).toContain('the input ended after 2 of 3 key shares; the attempt was cancelled')
    expect(await attempt()).toMatchObject({ started: false, progress: 0 })
    expect(keptCeremonyToken()).toBeUndefined()
  })

  it('counts a wrong share as progress, as Vault must (a share alone proves nothing), and fails clearly at the third', async () => {
    const c = ceremony()
    await c.feed(shares[2] ?? '', /share accepted: 1 of 3/)
    await c.feed(Buffer.alloc(33, 7).toString('base64'), /share accepted: 2 of 3/)
    c.cli.stdin.end(`${shares[3]}\n`)
    expect(await c.finish()).toBe(3)
    expect(c.run.stderr).toContain('GATEWAY_ERR_CEREMONY_SHARE_REJECTED')
    expect(c.run.stderr).toContain('Vault could not verify the key shares: the attempt ended')
    expect(c.run.stderr).not.toContain('share accepted: 3 of 3')
    expect(await attempt()).toMatchObject({ started: false, progress: 0 })
    expect(keptCeremonyToken()).toBeUndefined()
  })

  it('refuses the same share given twice at once, and cancels the attempt', async () => {
    const c = ceremony()
    await c.feed(shares[1] ?? '', /share accepted: 1 of 3/)
    c.cli.stdin.end(`${shares[1]}\n`)
    expect(await c.finish()).toBe(3)
    expect(c.run.stderr).toContain('GATEWAY_ERR_CEREMONY_SHARE_REJECTED')
    expect(await attempt()).toMatchObject({ started: false, progress: 0 })
  })

  it('Ctrl-C after one share cancels the attempt', async () => {
    const c = ceremony()
    await c.feed(shares[4] ?? '', /share accepted: 1 of 3/)
    c.cli.kill('SIGINT')
    expect(await c.finish()).toBe(1)
    expect(await attempt()).toMatchObject({ started: false, progress: 0 })
  })

  it('takes shares 1, 3 and 5 one by one, shows each arriving, and hands the token to the gateway sealed', async () => {
    const c = ceremony()
    await c.feed(shares[0] ?? '', /share accepted: 1 of 3/)
    await c.feed(shares[2] ?? '', /share accepted: 2 of 3/)
    await c.feed(shares[4] ?? '', /share accepted: 3 of 3/)
    c.cli.stdin.end()
    expect(await c.finish(), c.run.stderr).toBe(0)
    expect(c.run.stdout).toContain('DR operation token made on dc2; the gateway keeps it sealed (it is never shown)')
    // Each prompt asked for the next share, and none was echoed.
    expect(c.run.stderr).toMatch(/key share 1 of 3: .*key share 2 of 3: .*key share 3 of 3: /s)
    expect(await attempt()).toMatchObject({ started: false })
    const token = keptCeremonyToken()
    if (token === undefined) throw new Error('the gateway kept no ceremony token')
    secrets.push(token)
    expect(await acceptedBySecondary(token)).toBe(true)
    for (const text of [c.run.stdout, c.run.stderr]) {
      expect(text).not.toContain(token)
      for (const share of shares) expect(text).not.toContain(share)
    }
    expect(c.run.stdout).toContain('It has no TTL: delete it after use (vault-dr dr-token ceremony dc2 --delete)')

    // A second ceremony would leave this token valid in Vault, held by no one: refused until it is deleted.
    const refused = ceremony()
    refused.cli.stdin.end()
    expect(await refused.finish()).not.toBe(0)
    expect(refused.run.stderr).toContain('GATEWAY_ERR_CEREMONY_TOKEN_KEPT')
    expect(refused.run.stderr).toContain('vault-dr dr-token ceremony dc2 --delete')
    expect(await acceptedBySecondary(token)).toBe(true)

    const deleted = ceremony(['--delete'])
    expect(await deleted.finish(), deleted.run.stderr).toBe(0)
    expect(deleted.run.stdout).toMatch(
      /^dc2 deleted the ceremony token made at .*; the gateway no longer keeps it\.\n$/,
    )
    expect(await acceptedBySecondary(token)).toBe(false)
    expect(keptCeremonyToken()).toBeUndefined()
    const none = ceremony(['--delete', '--json'])
    expect(await none.finish()).toBe(0)
    expect(JSON.parse(none.run.stdout)).toMatchObject({ secondary: 'dc2', outcome: 'none_kept' })
  })
})
