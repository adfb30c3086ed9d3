import { setTimeout as sleep, setImmediate as turn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import type { Store } from '../src/store/store.ts'
import { AUTH, register, registerPair } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

describe('the fleet view (GET /v1/clusters)', () => {
  const fx = useGatewayFixture()

  it('asks each agent once for concurrent callers, and again once a cluster is registered anew', async () => {
    const inner = new SqliteStore(fx.path)
    let lists = 0
    // Counts the fleet reads that got the cluster list: each then asks the agents right away.
    const store: Store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'listClusters') {
          return async () => {
            const clusters = await target.listClusters()
            lists++
            return clusters
          }
        }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const gw = await fx.gateway({ store })
    await registerPair(gw.app)
    let open = () => {}
    const held = new Promise<void>((resolve) => {
      open = resolve
    })
    fx.world.intercept['primary.status'] = (next) => held.then(next)
    const statusCalls = (role: string) => fx.world.calls.filter((c) => c === `${role}.status`).length

    const reads = Array.from({ length: 20 }, () => gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH }))
    while (lists < 20) await turn()
    await turn()
    open()
    const answers = await Promise.all(reads)
    expect(answers.map((r) => r.statusCode)).toEqual(Array(20).fill(200))
    for (const res of answers) {
      expect(res.json().clusters.map((c: { agent: { reachable: boolean } }) => c.agent.reachable)).toEqual([true, true])
    }
    expect(statusCalls('primary')).toBe(1)
    expect(statusCalls('secondary')).toBe(1)

    await register(gw.app, 'dc1', 'primary', 'http://primary-agent:8411', 'another-primary-agent-token-0123')
    await gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH })
    expect(statusCalls('primary')).toBe(2)
    await fx.close(gw)
    await inner.close()
  })

  it("shows each agent's own check of its Vault token beside the status, which reads without one", async () => {
    const gw = await fx.gateway()
    await registerPair(gw.app)
    fx.world.vaultToken.primary = {
      ...fx.world.vaultToken.primary,
      status: 'fail',
      code: 'TOKEN_REFUSED',
      detail: "Vault refused the agent's token on auth/token/lookup-self (permission denied)",
      fix: 'Give the agent a valid Vault token carrying the policy in the README, then restart the agent.',
    }
    // An agent that gives no answer to the check: its status still shows, the check as unknown.
    fx.world.intercept['secondary.vaultToken'] = () => Promise.reject(new Error('socket hang up'))
    const res = await gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH })
    expect(res.statusCode, res.body).toBe(200)
    const [dc1, dc2] = res.json().clusters
    expect(dc1.agent).toMatchObject({ reachable: true, vault_token: { status: 'fail', code: 'TOKEN_REFUSED' } })
    expect(dc1.agent.status.vault.reachable).toBe(true)
    expect(dc2.agent).toMatchObject({ reachable: true, vault_token: null })

    // A page polling the view asks each agent's status again once the view's short reuse is over; a token check that
    // failed or gave no answer is asked again too (a token mended shows at once), one that passed (two audited Vault
    // calls) only once a minute.
    const calls = (name: string) => fx.world.calls.filter((c) => c === name).length
    const list = async () => {
      await sleep(600)
      await gw.app.inject({ method: 'GET', url: '/v1/clusters', headers: AUTH })
    }
    await list()
    expect(calls('primary.status')).toBe(2)
    expect([calls('primary.vaultToken'), calls('secondary.vaultToken')]).toEqual([2, 2])
    fx.world.vaultToken.primary = { ...fx.world.vaultToken.primary, status: 'pass', code: 'OK', fix: null }
    delete fx.world.intercept['secondary.vaultToken']
    await list()
    await list()
    expect(calls('primary.status')).toBe(4)
    expect([calls('primary.vaultToken'), calls('secondary.vaultToken')]).toEqual([3, 3])
    await fx.close(gw)
  })
})
