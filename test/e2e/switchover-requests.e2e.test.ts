import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { clusterOf, type SwitchStack, startSwitchStack, waitForOperation } from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

type Problem = { code?: string; detail?: string; errors?: Array<{ path?: string }> }

describe('switchover and drill requests', () => {
  it('bad input is a 4xx naming the field; one unfinished operation per cluster; Idempotency-Key replays', async () => {
    stack = await startSwitchStack({ latencyMs: 50 })
    secrets.push(...stack.secrets)
    const post = async (
      path: '/v1/switchovers' | '/v1/switchovers/plan' | '/v1/drills',
      body: object,
      key?: string,
    ) => {
      const res = await stack?.api.POST(path, {
        body: body as never,
        ...(key === undefined ? {} : { params: { header: { 'idempotency-key': key } } }),
      })
      return { status: res?.response.status, body: (res?.data ?? res?.error) as Problem & { id?: string } }
    }
    const fieldOf = (p: Problem) => JSON.stringify(p)
    for (const [path, body, field] of [
      ['/v1/switchovers', {}, 'to'],
      ['/v1/switchovers', { to: 'DC2' }, 'to'],
      ['/v1/switchovers', { to: 'dc2', catch_up_timeout: '2h' }, 'catch_up_timeout'],
      ['/v1/switchovers', { to: 'dc2', pre_hook_url: 'http://hooks.example/pre' }, 'pre_hook_url'],
      ['/v1/switchovers', { to: 'dc2', post_hook_url: 'https://u:p@hooks.example/post' }, 'post_hook_url'],
      ['/v1/switchovers', { to: 'dc2', force: true }, 'force'],
      ['/v1/drills', { to: 'dc2' }, 'hold'],
      ['/v1/drills', { to: 'dc2', hold: '2h' }, 'hold'],
    ] as const) {
      const res = await post(path, body)
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400)
      expect(fieldOf(res.body)).toContain(field)
    }
    const unknown = await post('/v1/switchovers/plan', { to: 'dc9' })
    expect(unknown).toMatchObject({ status: 400, body: { code: 'GATEWAY_ERR_UNKNOWN_CLUSTER' } })
    expect(unknown.body.detail).toContain('body/to')
    expect((await post('/v1/switchovers', { to: 'dc2', from: 'dc2' })).body.code).toBe(
      'GATEWAY_ERR_SWITCHOVER_SAME_CLUSTER',
    )
    // dc1 is the primary: it streams from nothing, so it cannot be switched to.
    const notPair = await post('/v1/switchovers', { to: 'dc1' })
    expect(notPair).toMatchObject({ status: 409, body: { code: 'GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR' } })
    expect(notPair.body.errors).toEqual([
      { path: 'body/to', message: 'names a DR primary: name one of its DR secondaries' },
    ])
    expect(notPair.body.detail).not.toContain('body/from')
    // A sealed primary is said to be sealed, with how to unseal it, not that no primary was named.
    const dc1 = clusterOf(stack, 'dc1')
    dc1.faults.seal()
    const sealed = await post('/v1/switchovers/plan', { to: 'dc2' })
    expect(sealed.status).toBe(200)
    const checks = (sealed.body as { checks: Array<{ name: string; code: string; fix: string | null }> }).checks
    expect(checks.find((c) => c.name === 'from_primary')).toMatchObject({ code: 'SEALED' })
    expect(checks.find((c) => c.name === 'from_primary')?.fix).toContain('Unseal dc1')
    expect((await post('/v1/drills', { to: 'dc2', hold: '5s' })).body.code).toBe(
      'GATEWAY_ERR_SWITCHOVER_PREFLIGHT_FAILED',
    )
    dc1.faults.unseal()
    // Unsealed, dc1 serves again and dc2 streams from it once more: a switchover may then start.
    await expect
      .poll(async () => (await post('/v1/switchovers/plan', { to: 'dc2' })).body, { timeout: 20_000 })
      .toMatchObject({ ok: true })

    const first = await post('/v1/switchovers', { to: 'dc2' }, 'key-1')
    expect(first.status).toBe(202)
    const replay = await post('/v1/switchovers', { to: 'dc2' }, 'key-1')
    expect(replay).toMatchObject({ status: 200, body: { id: first.body.id } })
    expect((await post('/v1/switchovers', { to: 'dc2', catch_up_timeout: '90s' }, 'key-1')).status).toBe(422)
    const busy = await post('/v1/drills', { to: 'dc2', hold: '5s' })
    expect(busy).toMatchObject({ status: 409, body: { code: 'GATEWAY_ERR_CLUSTER_BUSY' } })
    expect(busy.body.detail).toContain(first.body.id)
    const done = await waitForOperation(stack, first.body.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    const listed = await stack.api.GET('/v1/operations', { params: { query: { kind: 'switchover' } } })
    expect(listed.data?.operations.map((o) => o.id)).toEqual([first.body.id])
  })
})
