import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type SwitchStack,
  startSwitchStack,
  until,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

describe('switchover with a second DR secondary', () => {
  it('dc1 -> dc2: dc3 follows dc2 (one update_primary step planned for it), without a wipe', async () => {
    stack = await startSwitchStack({ clusters: 3 })
    secrets.push(...stack.secrets)
    const [dc1, dc2, dc3] = ['dc1', 'dc2', 'dc3'].map((n) => clusterOf(stack as SwitchStack, n)) as [
      ReturnType<typeof clusterOf>,
      ReturnType<typeof clusterOf>,
      ReturnType<typeof clusterOf>,
    ]
    const plan = await stack.api.POST('/v1/switchovers/plan', { body: { to: 'dc2' } as never })
    expect(plan.data?.followers).toEqual([
      { cluster: 'dc1', secondary_id: 'dc1' },
      { cluster: 'dc3', secondary_id: 'dc3' },
    ])
    expect(plan.data?.steps).toContain('update_primary:dc3')
    const res = await stack.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    const done = await waitForOperation(stack, res.data?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.clusters.sort()).toEqual(['dc1', 'dc2', 'dc3'])
    expect(done.steps.find((s) => s.name === 'update_primary:dc3')?.detail).toContain('dc3 re-pointed without a wipe')
    expect(dc2.state().drMode).toBe('primary')
    for (const [c, id] of [
      [dc1, 'dc1'],
      [dc3, 'dc3'],
    ] as const) {
      expect(c.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: id })
    }
    // A write on the new primary reaches the third cluster.
    expect(await kvWrite(dc2, stack.rootToken, 'after/three')).toBe(true)
    const written = (dc2.state().drStatus as { last_wal: number }).last_wal
    await until(
      'dc3 to receive it',
      10_000,
      () => (dc3.state().drStatus as { last_remote_wal: number }).last_remote_wal >= written,
    )
    expect(stack.simEvents.filter((e) => e.includes('enabled as secondary'))).toHaveLength(2)
    expect(await kvRead(dc2, stack.rootToken, 'after/three')).toBe('after/three')
  })
})
