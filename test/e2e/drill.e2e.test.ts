import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

interface Report {
  legs: Array<{ from: string; to: string; rto_ms: number | null; rpo_wals: number | null }>
  hold: { checks: number; refused: number; cut_short: boolean; started_at: string; until: string }
  warnings: string[]
  started_at: string
  ended_at: string
  verdict: string
  findings: string[]
}

describe('a DR drill through the gateway', () => {
  it('switches dc1 -> dc2, holds while dc2 serves, switches back, and reports each leg (RTO, RPO 0)', async () => {
    stack = await startSwitchStack()
    secrets.push(...stack.secrets)
    const [dc1, dc2] = [clusterOf(stack, 'dc1'), clusterOf(stack, 'dc2')]
    // The dry run first: the steps the drill then runs, its checks passing, and nothing changed.
    const body = { to: 'dc2', hold: '2s', check_interval: '1s' }
    const plan = await stack.api.POST('/v1/drills/plan', { body: body as never })
    expect(plan.response.status, JSON.stringify(plan.error)).toBe(200)
    expect(plan.data).toMatchObject({ ok: true, from: 'dc1', to: 'dc2', hold: '2s', check_interval: '1s' })
    expect(plan.data?.what_happens.join('\n')).toMatch(/demote dc1[\s\S]*hold for 2s[\s\S]*demote dc2/)
    expect(dc1.state().drMode).toBe('primary')
    expect((await stack.api.GET('/v1/operations', { params: { query: { kind: 'drill' } } })).data?.operations).toEqual(
      [],
    )
    const sampler = startWriteSampler(stack)
    const res = await stack.api.POST('/v1/drills', { body: body as never })
    expect(res.response.status, JSON.stringify(res.error)).toBe(202)
    const id = res.data?.id as string
    expect(res.data?.steps.map((s) => s.name)).toEqual(plan.data?.steps)
    // During the hold, dc2 is the one primary.
    const holding = await waitForOperation(stack, id, (op) => stepOf(op, 'hold')?.status === 'running')
    expect(holding.state).toBe('running')
    expect(dc2.state().drMode).toBe('primary')
    expect(dc1.state().drMode).toBe('secondary')
    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.steps.every((s) => s.status === 'succeeded')).toBe(true)
    expect(done.steps.map((s) => s.name)).toContain('back.rejoin_old_primary')

    const report = (done.result as { report: Report }).report
    expect(report.legs).toEqual([
      expect.objectContaining({ from: 'dc1', to: 'dc2', rpo_wals: 0 }),
      expect.objectContaining({ from: 'dc2', to: 'dc1', rpo_wals: 0 }),
    ])
    for (const leg of report.legs) expect(leg.rto_ms).toBeGreaterThan(0)
    expect(report.hold.checks).toBeGreaterThanOrEqual(2)
    expect(report.hold.refused).toBe(0)
    expect(report.hold.cut_short).toBe(false)
    expect(report).toMatchObject({ verdict: 'passed', findings: [] })
    expect(Date.parse(report.ended_at) - Date.parse(report.started_at)).toBeGreaterThanOrEqual(2_000)
    expect(done.result).toMatchObject({ wals_lost: 0 })

    // Back where it began, nothing lost, never two primaries.
    expect(dc1.state().drMode).toBe('primary')
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    expect(sampler.doubles).toEqual([])
    expect(sampler.accepted.dc2?.length).toBeGreaterThan(0)
    for (const path of [...(sampler.accepted.dc1 ?? []), ...(sampler.accepted.dc2 ?? [])]) {
      expect(await kvRead(dc1, stack.rootToken, path)).toBe(path)
    }
  })

  it('a new primary that refuses writes during the hold: the drill switches back all the same and its verdict is failed', async () => {
    stack = await startSwitchStack()
    secrets.push(...stack.secrets)
    const dc2 = clusterOf(stack, 'dc2')
    const res = await stack.api.POST('/v1/drills', { body: { to: 'dc2', hold: '6s', check_interval: '1s' } as never })
    const id = res.data?.id as string
    await waitForOperation(stack, id, (op) => stepOf(op, 'hold')?.status === 'running')
    // dc2 sealed for a moment while it holds the primary role: the hold's write checks see it refuse.
    dc2.faults.seal()
    await waitForOperation(stack, id, (op) => ((op.result as { report?: Report })?.report?.hold?.refused ?? 0) > 0)
    dc2.faults.unseal()
    const done = await waitForOperation(stack, id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    const report = (done.result as { report: Report }).report
    expect(report.hold.refused).toBeGreaterThan(0)
    expect(report.hold.checks).toBeGreaterThan(report.hold.refused)
    expect(report.verdict).toBe('failed')
    expect(report.findings).toEqual([
      `dc2 refused ${report.hold.refused} of ${report.hold.checks} write checks during the hold`,
    ])
    expect(report.legs.map((l) => l.rpo_wals)).toEqual([0, 0])
    expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
  })

  it('a cancel during the hold cuts it short and switches back at once (its safe end)', async () => {
    stack = await startSwitchStack()
    secrets.push(...stack.secrets)
    const res = await stack.api.POST('/v1/drills', { body: { to: 'dc2', hold: '10m' } as never })
    const id = res.data?.id as string
    await waitForOperation(stack, id, (op) => stepOf(op, 'hold')?.status === 'running')
    // Meanwhile the pair shows reversed: a switchover either way, planned or asked, is refused naming the drill,
    // not judged on that moment's roles (dc2 primary) nor planned as if it could start.
    for (const to of ['dc1', 'dc2']) {
      for (const path of ['/v1/switchovers/plan', '/v1/switchovers', '/v1/drills', '/v1/failovers'] as const) {
        const body =
          path === '/v1/drills'
            ? { to, hold: '1m' }
            : path === '/v1/failovers'
              ? { to, down_for: '1s', allow_data_loss: true }
              : { to }
        const refused = await stack.api.POST(path, { body: body as never })
        expect(refused.response.status, `${path} to ${to}`).toBe(409)
        expect(refused.error, `${path} to ${to}`).toMatchObject({
          code: 'GATEWAY_ERR_CLUSTER_BUSY',
          detail: expect.stringContaining(`Operation ${id} (drill) is running`),
        })
      }
    }
    // The pair, reversed for the hold, names the drill that holds it.
    const listed = await stack.api.GET('/v1/pairs', {})
    expect(listed.data?.pairs.map((p) => p.held_by)).toEqual([{ id, kind: 'drill', state: 'running' }])
    // Nor is a DR operation token issued on the pair meanwhile (by a primary the drill is about to demote).
    const rotate = (secondary: string) =>
      stack?.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', { params: { path: { secondary } } })
    // The pair is dc1's during the hold (dc2 its primary); asked by dc2's name, there is no such pair.
    const held = await rotate('dc1')
    expect(held?.response.status).toBe(409)
    expect(held?.error).toMatchObject({ code: 'GATEWAY_ERR_CLUSTER_BUSY' })
    expect((await rotate('dc2'))?.response.status).toBe(404)
    const asked = Date.now()
    const cancelled = await stack.api.POST('/v1/operations/{id}/cancel', { params: { path: { id } } })
    expect(cancelled.response.status).toBe(202)
    const done = await waitForOperation(stack, id)
    expect(Date.now() - asked).toBeLessThan(15_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.cancel_requested).toBe(true)
    expect(stepOf(done, 'hold')?.detail).toContain('hold cut short by a cancellation')
    const report = (done.result as { report: Report }).report
    expect(report.hold.cut_short).toBe(true)
    expect(report.legs.map((l) => l.rpo_wals)).toEqual([0, 0])
    // The operation reached its safe end; the drill did not hold as asked.
    expect(report).toMatchObject({ verdict: 'failed', findings: ['the hold was cut short by a cancellation'] })
    expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
    expect(clusterOf(stack, 'dc2').state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
  })
})
