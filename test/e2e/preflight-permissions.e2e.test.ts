import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import type { ChildService } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { README_POLICY, tokenWithPolicy, writePolicy } from '../helpers/vault-policies.ts'

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

async function preflight(stack: E2EStack) {
  const res = await stack.gatewayApi.POST('/v1/preflight', {
    body: { primary: 'dc1', secondary: 'dc2', skip_checks: [], allow_repoint: false },
  })
  if (!res.data) throw new Error(`preflight answered ${res.response.status}: ${JSON.stringify(res.error)}`)
  return { ...res.data, byName: (name: string) => res.data.checks.find((c) => c.name === name) }
}

/** An agent's /readyz (plain HTTP in this stack). */
async function readiness(service: ChildService) {
  const res = await fetch(`${service.url}/readyz`)
  const body = (await res.json()) as { checks: Array<{ name: string; ok: boolean; detail: string }> }
  return { status: res.status, tokenCheck: body.checks.find((c) => c.name === 'vault_token') }
}

/** Neither cluster changed: no DR enabled, no activation token minted, nothing activated. */
function expectUntouched(stack: E2EStack) {
  expect(stack.primary.state()).toMatchObject({ drMode: 'disabled', knownSecondaries: [] })
  expect(stack.secondary.state()).toMatchObject({ drMode: 'disabled' })
  expect(stack.simEvents.filter((line) => / dr: /.test(line))).toEqual([])
}

describe('preflight proves the agents’ Vault tokens before anything changes', () => {
  let stack: E2EStack | undefined
  afterAll(() => stack?.close())

  it('fails naming each missing capability and changes nothing; once the policies are whole it passes and the handshake runs', async () => {
    stack = await startE2EStack({
      agentVaultTokens: {
        // No sudo on secondary-token: the primary could be enabled, but no token minted.
        primary: (c) => tokenWithPolicy(c, 'vault-dr-primary-agent', README_POLICY.primary.replace(', "sudo"', '')),
        // No activation path at all.
        secondary: (c) =>
          tokenWithPolicy(
            c,
            'vault-dr-secondary-agent',
            README_POLICY.secondary.replace(/^\s*path "sys\/replication\/dr\/secondary\/enable".*$/m, ''),
          ),
      },
    })
    secrets.push(...stack.secrets)

    const failed = await preflight(stack)
    expect(failed.ok).toBe(false)
    expect(failed.byName('primary_vault_token')).toMatchObject({ status: 'fail', code: 'MISSING_CAPABILITY' })
    expect(failed.byName('primary_vault_token')?.detail).toContain(
      'sys/replication/dr/primary/secondary-token lacks sudo',
    )
    expect(failed.byName('secondary_vault_token')).toMatchObject({ status: 'fail', code: 'MISSING_CAPABILITY' })
    expect(failed.byName('secondary_vault_token')?.detail).toContain('sys/replication/dr/secondary/enable lacks update')
    const primaryReady = await readiness(stack.primaryAgent)
    expect(primaryReady.status).toBe(503)
    expect(primaryReady.tokenCheck?.detail).toContain('lacks sudo')
    expect((await readiness(stack.secondaryAgent)).status).toBe(503)

    const refused = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(refused.state).toBe('failed')
    expect(refused.steps.find((s) => s.name === 'enable_primary')?.status).not.toBe('succeeded')
    expectUntouched(stack)

    // The operator fixes the policies in place; Vault applies them to the agents' tokens at once.
    await writePolicy(stack.primary, 'vault-dr-primary-agent', README_POLICY.primary)
    await writePolicy(stack.secondary, 'vault-dr-secondary-agent', README_POLICY.secondary)
    const passed = await preflight(stack)
    expect(passed.checks.filter((c) => c.status === 'fail')).toEqual([])
    expect(passed.byName('primary_vault_token')).toMatchObject({ status: 'pass' })
    expect(passed.byName('secondary_vault_token')).toMatchObject({ status: 'pass' })
    const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stack.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
    // The search expectUntouched makes does find the clusters' changes once there are some.
    expect(stack.simEvents.some((line) => / dr: /.test(line))).toBe(true)
  })

  it('fails a wrong token on either side as refused by Vault, and changes nothing', async () => {
    await stack?.close()
    const wrong = async () => `hvs.${randomBytes(12).toString('hex')}`
    stack = await startE2EStack({ agentVaultTokens: { primary: wrong, secondary: wrong } })
    secrets.push(...stack.secrets)
    const failed = await preflight(stack)
    expect(failed.ok).toBe(false)
    for (const side of ['primary', 'secondary']) {
      expect(failed.byName(`${side}_vault_token`)).toMatchObject({ status: 'fail', code: 'TOKEN_REFUSED' })
      expect(failed.byName(`${side}_vault_token`)?.fix).toContain('VAULT_TOKEN_FILE')
    }
    const refused = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(refused.state).toBe('failed')
    expectUntouched(stack)
  })
})
