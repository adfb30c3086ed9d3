import { describe, expect, it } from 'vitest'
import type { AgentClients, AgentTarget, ClusterAgentClient } from '../agents/agent-clients.ts'
import { fenceKey } from '../failovers/fence-record.ts'
import { confirmPrimaries } from './primary-serving.ts'

const target = (cluster: string): AgentTarget => ({ cluster, url: `http://${cluster}.test`, token: `t-${cluster}` })

function fakes(meta: Record<string, string>, refusing: string[] = []) {
  const calls: Array<{ cluster: string; checkedAt: string; epoch: number }> = []
  const agent = (t: AgentTarget) =>
    ({
      confirmServing: async (checkedAt: string, o: { epoch: number }) => {
        calls.push({ cluster: t.cluster, checkedAt, epoch: o.epoch })
        if (refusing.includes(t.cluster)) throw new Error('AGENT_ERR_FENCED')
        return { serving: true, reason: 'primary', detail: '', confirmed: { by: 'gateway', at: checkedAt } }
      },
    }) as unknown as ClusterAgentClient
  const agents = { primary: agent, secondary: agent, cluster: agent, close: async () => {} } as unknown as AgentClients
  const store = {
    getMeta: async (key: string) => meta[key],
    setMeta: async () => {},
    metaUnder: async (prefix: string) =>
      new Map(Object.entries(meta).filter(([k]) => k.startsWith(prefix)) as Array<[string, string]>),
    currentEpoch: async () => 7,
  }
  return { calls, agents, store }
}

const fence = (cluster: string) =>
  JSON.stringify({
    cluster,
    epoch: 7,
    failover_id: 'fo-1',
    new_primary: 'dc2',
    fenced_at: '2026-12-05T10:00:00.000Z',
    demoted_at: null,
    last_wal: null,
  })

describe('confirming the primaries to their agents (getServing)', () => {
  it('confirms every primary the store does not hold fenced, with its epoch and when the fences were read', async () => {
    const { calls, agents, store } = fakes({ [fenceKey('dc1')]: fence('dc1'), [fenceKey('dc3')]: '' })
    const now = Date.parse('2026-12-05T10:05:00.000Z')
    const unconfirmed = await confirmPrimaries(
      { store, agents, now: () => now, signal: new AbortController().signal },
      [target('dc1'), target('dc3'), target('dc4')],
    )
    expect(unconfirmed).toEqual([])
    // dc1 is fenced: never confirmed. dc3's fence was cleared (a rejoin): confirmed.
    expect(calls).toEqual([
      { cluster: 'dc3', checkedAt: '2026-12-05T10:05:00.000Z', epoch: 7 },
      { cluster: 'dc4', checkedAt: '2026-12-05T10:05:00.000Z', epoch: 7 },
    ])
  })

  it('answers the primaries whose agent refused or did not answer, and asks nothing without primaries', async () => {
    const { calls, agents, store } = fakes({}, ['dc4'])
    const signal = new AbortController().signal
    expect(await confirmPrimaries({ store, agents, now: Date.now, signal }, [target('dc3'), target('dc4')])).toEqual([
      'dc4',
    ])
    expect(calls.map((c) => c.cluster)).toEqual(['dc3', 'dc4'])
    expect(await confirmPrimaries({ store, agents, now: Date.now, signal }, [])).toEqual([])
    expect(calls).toHaveLength(2)
  })
})
