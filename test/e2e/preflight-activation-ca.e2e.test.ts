import { afterAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

describe('an HTTPS primary API and no activation CA', () => {
  let stack: E2EStack | undefined
  afterAll(() => stack?.close())

  it('fails preflight on activation_ca, naming the variable, and the primary is untouched', async () => {
    // The secondary agent trusts the primary's private CA for its own probes, but would give its Vault none.
    stack = await startE2EStack({ tls: true, noActivationCa: true })
    secrets.push(...stack.secrets)
    const res = await stack.gatewayApi.POST('/v1/preflight', {
      body: { primary: 'dc1', secondary: 'dc2', skip_checks: [], allow_repoint: false },
    })
    expect(res.data?.ok).toBe(false)
    const check = res.data?.checks.find((c) => c.name === 'activation_ca')
    expect(check).toMatchObject({ status: 'fail', code: 'ACTIVATION_CA_MISSING', source: 'secondary-agent' })
    expect(check?.fix).toContain('VAULT_DR_ACTIVATION_CA_FILE')
    // The probes themselves trust the primary: only what activation would meet fails.
    expect(res.data?.checks.find((c) => c.name === 'api_tls')).toMatchObject({ status: 'pass' })

    const hs = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('ACTIVATION_CA_MISSING')
    expect(stack.primary.state()).toMatchObject({ drMode: 'disabled', knownSecondaries: [] })
    expect(stack.secondary.state()).toMatchObject({ drMode: 'disabled' })
    expect(stack.simEvents.filter((line) => / dr: /.test(line))).toEqual([])
  })
})
