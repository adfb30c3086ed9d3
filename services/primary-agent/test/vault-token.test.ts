import type { ClusterHandle } from '@vault-dr/vault-sim'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PRIMARY_POLICY, scopedToken } from './helpers/scoped-token.ts'
import { startPrimaryAgent, startTestCluster } from './helpers.ts'

let cluster: ClusterHandle
const agents: Array<Awaited<ReturnType<typeof startPrimaryAgent>>> = []

beforeEach(async () => {
  cluster = await startTestCluster({ rootToken: 'root-token-vault-token-test' })
})
afterEach(async () => {
  for (const a of agents.splice(0)) await a.close()
  await cluster.close()
})

async function agentWith(token: string) {
  const agent = await startPrimaryAgent(cluster, { VAULT_TOKEN: token })
  agents.push(agent)
  const check = await agent.call('GET', '/v1/vault-token')
  const ready = await agent.app.inject({ url: '/readyz' })
  const tokenReadiness = ready.json().checks.find((c: { name: string }) => c.name === 'vault_token')
  return { agent, check, ready, tokenReadiness }
}

describe('checkVaultToken and readiness', () => {
  it("passes with the README's policy and no default policy, and says when the token expires", async () => {
    const token = await scopedToken(cluster, 'vault-dr-primary-agent', PRIMARY_POLICY)
    const { check, ready, agent } = await agentWith(token)
    expect(check.status).toBe(200)
    expect(check.json).toMatchObject({ name: 'vault_token', status: 'pass', code: 'OK', missing: [] })
    expect(check.json.expires_at).not.toBeNull()
    expect(ready.statusCode).toBe(200)
    expect(JSON.stringify(check.json)).not.toContain(token)
    expect(agent.logs.text()).not.toContain(token)
  })

  it('fails readiness naming the path and the capability when sudo on secondary-token is missing', async () => {
    const noSudo = PRIMARY_POLICY.replace('"create", "update", "sudo"', '"create", "update"')
    const token = await scopedToken(cluster, 'no-sudo', noSudo)
    const { check, ready, tokenReadiness } = await agentWith(token)
    expect(check.json).toMatchObject({
      status: 'fail',
      code: 'MISSING_CAPABILITY',
      missing: [{ path: 'sys/replication/dr/primary/secondary-token', capability: 'sudo' }],
    })
    expect(check.json.detail).toContain('sys/replication/dr/primary/secondary-token lacks sudo')
    expect(check.json.fix).toContain(
      'path "sys/replication/dr/primary/secondary-token" { capabilities = ["create", "update", "sudo"] }',
    )
    expect(ready.statusCode).toBe(503)
    expect(tokenReadiness).toMatchObject({ ok: false })
    expect(tokenReadiness.detail).toContain('secondary-token lacks sudo')
  })

  it('fails on a wrong token, saying Vault refused it, without echoing it', async () => {
    const bogus = 'hvs.not-a-token-the-cluster-knows'
    const { check, ready, agent } = await agentWith(bogus)
    expect(check.json).toMatchObject({ status: 'fail', code: 'TOKEN_REFUSED' })
    expect(check.json.detail).toContain('auth/token/lookup-self')
    expect(ready.statusCode).toBe(503)
    expect(JSON.stringify(check.json)).not.toContain(bogus)
    expect(agent.logs.text()).not.toContain(bogus)
  })

  it('fails when the policy lacks sys/capabilities-self and there is no default policy', async () => {
    const withoutSelf = PRIMARY_POLICY.replace(/^path "sys\/capabilities-self".*$/m, '')
    const { check } = await agentWith(await scopedToken(cluster, 'no-self', withoutSelf))
    expect(check.json).toMatchObject({ status: 'fail', code: 'CAPABILITIES_UNREADABLE' })
    expect(check.json.fix).toContain('path "sys/capabilities-self" { capabilities = ["update"] }')
  })

  it('fails a token about to expire, and warns of one expiring within days', async () => {
    const soon = await agentWith(await scopedToken(cluster, 'short', PRIMARY_POLICY, '5m'))
    expect(soon.check.json).toMatchObject({ status: 'fail', code: 'TOKEN_EXPIRING' })
    expect(soon.ready.statusCode).toBe(503)
    const days = await agentWith(await scopedToken(cluster, 'days', PRIMARY_POLICY, '48h'))
    expect(days.check.json).toMatchObject({ status: 'warn', code: 'TOKEN_EXPIRES_SOON' })
    expect(days.ready.statusCode).toBe(200)
  })
})
