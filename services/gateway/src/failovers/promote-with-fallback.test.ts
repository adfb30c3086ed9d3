import { CodedError } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'
import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { promoteWithFallback } from './promote-with-fallback.ts'

const refused = () =>
  new CodedError({ code: 'GATEWAY_ERR_AGENT_REQUEST', status: 502, title: 'agent call failed' }, 'promote refused', {
    upstream: { service: 'secondary-agent', status: 403, code: 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED' },
  })

function setup(ceremony: string | undefined) {
  const deps = {
    store: { getCeremonyToken: async () => (ceremony === undefined ? undefined : { token_sealed: ceremony }) },
    box: { open: (sealed: string) => sealed },
  } as unknown as FailoverDeps
  const run = { roles: { drToken: async () => 'kept' } } as unknown as RoleChangeRun
  const sent: string[] = []
  /** A promote as Vault answers it: only the token `valid` is accepted. */
  const promoteAccepting = (valid: string) => async (r: RoleChangeRun) => {
    const token = await r.roles.drToken()
    sent.push(token)
    if (token !== valid) throw refused()
    return { status: 'succeeded', detail: 'dc2 promoted' } satisfies StepResult
  }
  return { deps, run, sent, promoteAccepting }
}

describe('the failover promote when Vault refuses the DR operation token', () => {
  it('tries the key-share ceremony token once the kept one is refused', async () => {
    const { deps, run, sent, promoteAccepting } = setup('from-ceremony')
    const result = await promoteWithFallback(deps, run, 'dc2', promoteAccepting('from-ceremony'))
    expect(sent).toEqual(['kept', 'from-ceremony'])
    expect(result.detail).toContain("key-share ceremony's token")
  })

  it('without a ceremony token: GATEWAY_ERR_FAILOVER_NO_DR_TOKEN naming the ceremony for that secondary', async () => {
    const { deps, run, sent, promoteAccepting } = setup(undefined)
    const err = await promoteWithFallback(deps, run, 'dc2', promoteAccepting('none')).catch((e: CodedError) => e)
    expect(sent).toEqual(['kept'])
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_FAILOVER_NO_DR_TOKEN' })
    expect((err as CodedError).fix).toContain('vault-dr dr-token ceremony dc2')
  })

  it('a ceremony token refused too fails the same way, after one more try only', async () => {
    const { deps, run, sent, promoteAccepting } = setup('old-ceremony')
    const err = await promoteWithFallback(deps, run, 'dc2', promoteAccepting('none')).catch((e: CodedError) => e)
    expect(sent).toEqual(['kept', 'old-ceremony'])
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_FAILOVER_NO_DR_TOKEN' })
  })

  it('a ceremony token sent first (no kept one was valid) and refused is not sent again, nor a kept one blamed', async () => {
    const { deps, sent, promoteAccepting } = setup('only-ceremony')
    const run = { roles: { drToken: async () => 'only-ceremony' } } as unknown as RoleChangeRun
    const err = await promoteWithFallback(deps, run, 'dc2', promoteAccepting('none')).catch((e: CodedError) => e)
    expect(sent).toEqual(['only-ceremony'])
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_FAILOVER_NO_DR_TOKEN' })
    expect((err as CodedError).message).toContain("refused the key-share ceremony's token")
    expect((err as CodedError).message).toContain('no kept DR operation token was valid')
  })

  it('any other failure of the promote is left as it is', async () => {
    const { deps, run } = setup('from-ceremony')
    const other = new Error('connection reset')
    await expect(promoteWithFallback(deps, run, 'dc2', async () => Promise.reject(other))).rejects.toBe(other)
  })
})
