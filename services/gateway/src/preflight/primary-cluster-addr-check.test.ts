import { describe, expect, it } from 'vitest'
import { FakeWorld } from '../../test/helpers/fake-agents.ts'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { primaryClusterAddrVerdict } from './primary-cluster-addr-check.ts'

const LB = 'https://vault-dr-lb.dc1.example:8201'

async function primaryStatus(world: FakeWorld): Promise<ClusterStatus> {
  return world.primaryClient().status(new AbortController().signal)
}

const withReplication = (s: ClusterStatus, r: Partial<NonNullable<ClusterStatus['replication']>>): ClusterStatus => ({
  ...s,
  replication: { ...(s.replication as NonNullable<ClusterStatus['replication']>), ...r },
})

describe('check primary_cluster_addr', () => {
  it('passes a primary without DR: enable_primary sets the address', async () => {
    const verdict = primaryClusterAddrVerdict(await primaryStatus(new FakeWorld()), LB)
    expect(verdict).toMatchObject({
      status: 'pass',
      detail: `enable_primary will enable DR with primary_cluster_addr ${LB}`,
    })
  })

  it('passes a DR primary handing out the same address, written without scheme', async () => {
    const s = withReplication(await primaryStatus(new FakeWorld()), {
      mode: 'primary',
      state: 'running',
      primary_cluster_addr: 'vault-dr-lb.dc1.example:8201',
    })
    expect(primaryClusterAddrVerdict(s, LB).status).toBe('pass')
  })

  it('fails a DR primary handing out another address, or none, naming what it hands out', async () => {
    const base = await primaryStatus(new FakeWorld())
    const other = withReplication(base, { mode: 'primary', state: 'running', primary_cluster_addr: 'https://x:8201' })
    expect(primaryClusterAddrVerdict(other, LB)).toMatchObject({
      status: 'fail',
      code: 'PRIMARY_CLUSTER_ADDR_DIFFERS',
      detail: expect.stringContaining('primary_cluster_addr https://x:8201'),
    })
    const none = withReplication(base, { mode: 'primary', state: 'running', primary_cluster_addr: null })
    expect(primaryClusterAddrVerdict(none, LB).detail).toContain("each node's cluster_addr")
  })

  it('does not promise an enable on a cluster that is a DR secondary: it leaves that to primary_role', async () => {
    const s = withReplication(await primaryStatus(new FakeWorld()), { mode: 'secondary', state: 'stream-wals' })
    expect(primaryClusterAddrVerdict(s, LB)).toMatchObject({ status: 'warn', code: 'NOT_COMPARED' })
  })
})
