import { describe, expect, it } from 'vitest'
import { PromoteRequest, UpdatePrimaryRequest } from './role-change.schemas.ts'

const DR_TOKEN = 'hvb.dr-operation-token'
const issuesOf = (result: { error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.join('/')}: ${i.message}`)

describe('the addresses a promote or update-primary hands to Vault (refused here, naming the field, not by Vault)', () => {
  it.each(['vault:99999', 'vault:0', 'https://vault:70000', '[[[:1', '-:1', 'vault', 'http://vault:8201'])(
    'primary_cluster_addr %j is refused',
    (addr) => {
      const issues = issuesOf(PromoteRequest.safeParse({ dr_operation_token: DR_TOKEN, primary_cluster_addr: addr }))
      expect(issues.length).toBeGreaterThan(0)
      expect(issues.every((i) => i.startsWith('primary_cluster_addr: '))).toBe(true)
      expect(issues.join(' ')).not.toContain(addr)
    },
  )

  it.each(['vault:8201', 'https://vault.dc1.example:8201', '10.0.0.1:8201', '[::1]:8201'])(
    'primary_cluster_addr %j is taken (Vault ignores the scheme of a cluster address)',
    (addr) => {
      expect(PromoteRequest.safeParse({ dr_operation_token: DR_TOKEN, primary_cluster_addr: addr }).success).toBe(true)
    },
  )

  it('update_primary_addrs are held to the same rule', () => {
    const body = { dr_operation_token: DR_TOKEN, update_primary_addrs: ['vault-a:8201', 'vault-b:99999'] }
    expect(issuesOf(UpdatePrimaryRequest.safeParse(body))).toEqual([
      expect.stringMatching(/^update_primary_addrs\/1: /),
    ])
  })

  it.each([
    ['https://vault.dc1.example', 'port'],
    ['https://vault:8200/p?x=1', 'path'],
    ['http://user:pw@vault:8200', 'user name or password'],
  ])('primary_api_addr %j is refused (%s)', (addr, why) => {
    const issues = issuesOf(
      UpdatePrimaryRequest.safeParse({
        dr_operation_token: DR_TOKEN,
        token: 'activation-token-0123456789',
        primary_api_addr: addr,
      }),
    )
    expect(issues).toEqual([expect.stringMatching(new RegExp(`^primary_api_addr: .*${why}`))])
  })

  it('a primary_api_addr with its port written out is taken', () => {
    const body = {
      dr_operation_token: DR_TOKEN,
      token: 'activation-token-0123456789',
      primary_api_addr: 'https://vault.dc1.example:8200',
    }
    expect(UpdatePrimaryRequest.safeParse(body).success).toBe(true)
  })
})

describe('the activation token an update-primary hands to Vault', () => {
  it.each(['a\r\nb-0123456789abcdef', 'é'.repeat(20), 'short', 'with a space 0123456789'])(
    'token %j is refused here, naming the field, never echoing it',
    (token) => {
      const issues = issuesOf(UpdatePrimaryRequest.safeParse({ dr_operation_token: DR_TOKEN, token }))
      expect(issues).toEqual([expect.stringMatching(/^token: /)])
      expect(issues.join(' ')).not.toContain(token)
    },
  )
})
