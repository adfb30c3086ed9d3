import { describe, expect, it } from 'vitest'
import type { SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { ClusterStatus, ProbeCheck } from '../agents/agent-types.ts'
import { primaryNodesCheck } from './primary-nodes.ts'

const status = (known: string[]): ClusterStatus =>
  ({
    vault: {},
    checked_at: '2026-12-04T08:00:00.000Z',
    replication: {
      mode: 'secondary',
      primaries: [{ cluster_address: 'https://10.0.0.1:8201' }],
      primary_cluster_addr: null,
      known_primary_cluster_addrs: known,
    },
  }) as unknown as ClusterStatus

const probe = (checks: Array<Partial<ProbeCheck>>, asked: string[][] = []) =>
  ({
    probePrimary: async (body: { cluster_addrs: string[] }) => {
      asked.push(body.cluster_addrs)
      return { checks }
    },
  }) as unknown as SecondaryAgentClient

describe('P7 primary_nodes', () => {
  it('passes without probing when the secondary knows only the node it streams from', async () => {
    const asked: string[][] = []
    const res = await primaryNodesCheck(probe([], asked), status(['10.0.0.1:8201']))
    expect(res).toMatchObject({ id: 'P7', status: 'pass' })
    expect(asked).toEqual([])
  })

  it('probes the other nodes from the secondary: a standby refusing DR passes, one it cannot reach warns', async () => {
    const asked: string[][] = []
    const standby = {
      status: 'fail' as const,
      code: 'DR_NOT_ENABLED' as const,
      target: '10.0.0.2:8201',
      detail: 'standby',
    }
    const ok = await primaryNodesCheck(probe([standby], asked), status(['10.0.0.1:8201', '10.0.0.2:8201']))
    expect(ok.status).toBe('pass')
    expect(asked).toEqual([['https://10.0.0.2:8201']])
    const refused = {
      status: 'fail' as const,
      code: 'CONNECTION_REFUSED' as const,
      target: '10.0.0.3:8201',
      detail: 'refused',
    }
    const warned = await primaryNodesCheck(probe([refused]), status(['10.0.0.1:8201', '10.0.0.3:8201']))
    expect(warned).toMatchObject({ status: 'warn', code: 'CONNECTION_REFUSED', fix: expect.stringContaining('8201') })
  })

  it('warns when the probe cannot be made or the status is unknown', async () => {
    const failing = {
      probePrimary: async () => {
        throw new Error('agent unreachable')
      },
    } as unknown as SecondaryAgentClient
    expect(await primaryNodesCheck(failing, status(['10.0.0.1:8201', '10.0.0.9:8201']))).toMatchObject({
      status: 'warn',
      code: 'NOT_PROBED',
    })
    expect((await primaryNodesCheck(failing, undefined)).code).toBe('NOT_PROBED')
  })
})
