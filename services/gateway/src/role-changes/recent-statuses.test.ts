import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { RECENT_STATUS_MS, recentStatuses } from './recent-statuses.ts'
import type { RoleChangeClient } from './role-change-context.ts'

const statusNamed = (mode: string) => ({ replication: { mode } }) as unknown as ClusterStatus

/** A client whose status answers when the test says so, and whose changes answer with the status `after`. */
function fakeClient() {
  let release: (s: ClusterStatus) => void = () => {}
  const client = {
    status: () =>
      new Promise<ClusterStatus>((resolve) => {
        release = resolve
      }),
    demote: async () => ({ changed: true, detail: '', warnings: [], status: statusNamed('secondary') }),
    mintToken: async () => ({ secondary_id: 'x', token: 't' }),
  } as unknown as RoleChangeClient
  return { client, answer: (s: ClusterStatus) => release(s) }
}

describe('recentStatuses', () => {
  it('keeps a read for RECENT_STATUS_MS, per cluster', async () => {
    let clock = 0
    const recent = recentStatuses(() => clock)
    const { client, answer } = fakeClient()
    const tracked = recent.track('dc1', client)
    const reading = tracked.status()
    answer(statusNamed('primary'))
    await reading
    expect(recent.get('dc1')).toEqual(statusNamed('primary'))
    expect(recent.get('dc2')).toBeUndefined()
    clock += RECENT_STATUS_MS
    expect(recent.get('dc1')).toEqual(statusNamed('primary'))
    clock += 1
    expect(recent.get('dc1')).toBeUndefined()
  })

  it("forgets every cluster's status when a change is sent through any of them, and keeps what a role change answered", async () => {
    const recent = recentStatuses(() => 0)
    const one = fakeClient()
    const two = fakeClient()
    const dc1 = recent.track('dc1', one.client)
    const dc2 = recent.track('dc2', two.client)
    const reads = [dc1.status(), dc2.status()]
    one.answer(statusNamed('primary'))
    two.answer(statusNamed('secondary'))
    await Promise.all(reads)
    await dc2.mintToken({ secondary_id: 'x', ttl: '5m' })
    expect(recent.get('dc1')).toBeUndefined()
    expect(recent.get('dc2')).toBeUndefined()
    await dc1.demote({}, { epoch: 5 })
    expect(recent.get('dc1')).toEqual(statusNamed('secondary'))
  })

  it('does not keep a read that was under way when a change was sent', async () => {
    const recent = recentStatuses(() => 0)
    const { client, answer } = fakeClient()
    const dc1 = recent.track('dc1', client)
    const reading = dc1.status()
    await recent.track('dc2', fakeClient().client).mintToken({ secondary_id: 'x', ttl: '5m' })
    answer(statusNamed('primary'))
    await reading
    expect(recent.get('dc1')).toBeUndefined()
  })
})
