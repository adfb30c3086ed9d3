import { afterAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

async function preflight(stack: E2EStack) {
  const res = await stack.gatewayApi.POST('/v1/preflight', {
    body: { primary: 'dc1', secondary: 'dc2', skip_checks: [], allow_repoint: false },
  })
  if (!res.data) throw new Error(`preflight answered ${res.response.status}: ${JSON.stringify(res.error)}`)
  return res.data
}

/** The cause named once, and none of the cascade that used to send operators to Vault's configuration. */
function expectNoCascade(checks: Array<{ code: string; name: string }>) {
  expect(checks.map((c) => c.code)).not.toContain('NO_CLUSTER_ADDR')
  expect(checks.map((c) => c.code)).not.toContain('NO_ADVERTISED_ADDR')
  expect(checks.map((c) => c.name)).not.toContain('primary_vault_token')
}

describe('preflight names the real cause when the primary agent cannot read its Vault', () => {
  let stack: E2EStack | undefined
  afterAll(() => stack?.close())

  it('a Vault that hangs is said not to answer, not "check VAULT_ADDR"', async () => {
    // No shared status: the preflight's own read meets the hung Vault, whatever was read before it.
    stack = await startE2EStack({
      vaultGates: true,
      agentEnv: { VAULT_DR_VAULT_TIMEOUT_MS: '1000', VAULT_DR_STATUS_CACHE_MS: '0' },
    })
    secrets.push(...stack.secrets)
    stack.vaultGates?.primary.hold()
    const run = await preflight(stack)
    stack.vaultGates?.primary.release()
    expect(run.ok).toBe(false)
    const vault = run.checks.find((c) => c.name === 'primary_vault')
    expect(vault).toMatchObject({ status: 'fail', code: 'VAULT_NOT_ANSWERING' })
    expect(vault?.fix).not.toContain('VAULT_ADDR')
    expectNoCascade(run.checks)
    expect(stack.primary.state()).toMatchObject({ drMode: 'disabled', knownSecondaries: [] })
  })

  it('a Vault whose certificate the agent does not trust is said to be so, with VAULT_CACERT as the fix', async () => {
    await stack?.close()
    stack = await startE2EStack({ tls: true, noPrimaryVaultCa: true })
    secrets.push(...stack.secrets)
    const run = await preflight(stack)
    expect(run.ok).toBe(false)
    const vault = run.checks.find((c) => c.name === 'primary_vault')
    expect(vault).toMatchObject({ status: 'fail', code: 'VAULT_TLS_UNTRUSTED' })
    expect(vault?.fix).toContain('VAULT_CACERT')
    expectNoCascade(run.checks)
  })
})
