import { afterAll, describe, expect, it } from 'vitest'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvWrite,
  type Operation,
  type SwitchStack,
  startSwitchStack,
  until,
  waitForOperation,
} from './switchover-stack.ts'

let stack: SwitchStack | undefined
afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

type Body = { to: string; down_for?: string; allow_data_loss?: boolean }

describe('a failover with another DR secondary older than the secondary to promote (mid-way through an upgrade)', () => {
  it('is refused before the promote, naming the follower; deregistered, the failover goes on without it', async () => {
    // dc2 upgraded first, as secondaries are; dc1 and dc3 not yet.
    stack = await startSwitchStack({
      clusters: 3,
      versions: { dc1: '1.17.3+ent', dc2: '1.18.1+ent', dc3: '1.17.3+ent' },
    })
    const s = stack
    const [dc1, dc2, dc3] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2'), clusterOf(s, 'dc3')]
    const plan = async (body: Body) => {
      const res = await s.api.POST('/v1/failovers/plan', { body: body as never })
      if (!res.data) throw new Error(`planFailover: ${res.response.status} ${JSON.stringify(res.error)}`)
      return res.data
    }
    expect(
      (await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', { params: { path: { secondary: 'dc2' } } }))
        .response.status,
    ).toBe(200)
    expect(await kvWrite(dc1, s.rootToken, 'before/0')).toBe(true)
    await until('dc2 caught up', 10_000, async () => lagAsIs((await plan({ to: 'dc2' })).pair.lag, dc1, dc2) === 0)

    // Said before the disaster: dc2's readiness warns that a failover to it would be refused.
    const readiness = await s.api.GET('/v1/pairs/{secondary}/readiness', { params: { path: { secondary: 'dc2' } } })
    const p5 = readiness.data?.checks.find((c) => c.id === 'P5')
    expect(p5).toMatchObject({ status: 'warn', code: 'VERSION_SKEW' })
    expect(p5?.detail).toContain('A failover to dc2 would be refused: dc3 runs 1.17.3+ent')

    await dc1.faults.isolate('refuse')
    const ask = { to: 'dc2', down_for: '1s' }
    await until('dc1 judged down', 20_000, async () => (await plan(ask)).primary_verdict === 'down')
    const refused = await plan(ask)
    expect(refused.allowed).toBe(false)
    expect(refused.refusal?.code).toBe('VERSION_SKEW')
    const item = refused.items.find((i) => i.name === 'follower:dc3')
    expect(item).toMatchObject({ status: 'fail', code: 'VERSION_SKEW' })
    expect(item?.detail).toContain("dc3 runs Vault 1.17.3+ent, older than dc2's 1.18.1+ent")
    expect(item?.fix).toContain('DELETE /v1/clusters/dc3')

    const created = await s.api.POST('/v1/failovers', { body: ask as never })
    expect(created.response.status).toBe(409)
    expect((created.error as { detail?: string }).detail).toContain('VERSION_SKEW')
    expect(dc2.state().drMode).toBe('secondary')
    expect(dc3.state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc3' })

    // The plan's own way on: dc3 forgotten, the failover promotes dc2 and leaves dc3 as it was.
    expect((await s.api.DELETE('/v1/clusters/{name}', { params: { path: { name: 'dc3' } } })).response.status).toBe(204)
    const allowed = await plan(ask)
    expect(allowed.allowed, JSON.stringify(allowed.refusal)).toBe(true)
    expect(allowed.followers).toEqual([])
    const started = await s.api.POST('/v1/failovers', { body: ask as never })
    expect(started.response.status, JSON.stringify(started.error)).toBe(202)
    const done = await waitForOperation(s, (started.data as Operation).id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.steps.map((st) => st.name)).not.toContain('update_primary:dc3')
    expect(dc2.state().drMode).toBe('primary')
    expect(dc3.state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc3' })
  }, 90_000)
})
