import { describe, expect, it } from 'vitest'
import type { ClusterStatus, VaultTokenCheck } from '../agents/agent-types.ts'
import { tokenCheck } from './token-checks.ts'

const reachable = { vault: { reachable: true } } as unknown as ClusterStatus
const check = (over: Partial<VaultTokenCheck>): PromiseSettledResult<VaultTokenCheck> => ({
  status: 'fulfilled',
  value: {
    name: 'vault_token',
    status: 'fail',
    code: 'TOKEN_REFUSED',
    detail: 'refused',
    fix: 'Give the agent a valid Vault token',
    missing: [],
    expires_at: null,
    renewable: null,
    checked_at: '2026-12-07T03:00:00.000Z',
    ...over,
  },
})

describe("preflight's check of an agent's Vault token", () => {
  it('fails on a token its own Vault refuses', () => {
    expect(tokenCheck('secondary', reachable, check({}))).toMatchObject([
      { name: 'secondary_vault_token', status: 'fail', code: 'TOKEN_REFUSED' },
    ])
  })

  it("warns, not fails, on a token checked at the primary (a secondary of it already): the handshake's steps need none", () => {
    const [c] = tokenCheck('secondary', reachable, check({ checked_at_primary: 'https://10.0.1.1:8200' }))
    expect(c).toMatchObject({ status: 'warn', code: 'TOKEN_REFUSED', fix: 'Give the agent a valid Vault token' })
  })
})
