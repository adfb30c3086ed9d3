import { describe, expect, it } from 'vitest'
import type { AgentClients, AgentTarget, ClusterAgentClient } from '../agents/agent-clients.ts'
import { fenceKey } from '../failovers/fence-record.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { confirmPrimaries } from './primary-serving.ts'

const target = (cluster: string): AgentTarget => ({ cluster, url: `http://${cluster}.test`, token: `t-${cluster}` })

type Reason = 'primary' | 'unconfirmed' | 'dr_secondary'

/**
 * Agents answering getServing with `reasons` (an agent not named there is away), refusing the confirmation of those
 * in `refusing` as an agent whose episode changed; a store with `meta` (the fences) and the unfinished operations
 * holding `held`. Every read is logged in order.
 */
function fakes(opts: {
  reasons: Record<string, Reason>
  meta?: Record<string, string>
  held?: Record<string, 'pending' | 'running'>
  refusing?: string[]
}) {
  const log: string[] = []
  const confirmed: Array<{ cluster: string; checked_at: string; episode: string; epoch: number }> = []
  const agent = (t: AgentTarget) =>
    ({
      serving: async () => {
        log.push(`getServing ${t.cluster}`)
        const reason = opts.reasons[t.cluster]
        if (reason === undefined) throw GatewayErrors.agentUnreachable(`${t.cluster} could not be reached`)
        return { serving: reason === 'primary', reason, detail: '', confirmed: null, episode: `ep-${t.cluster}` }
      },
      confirmServing: async (body: { checked_at: string; episode: string }, o: { epoch: number }) => {
        log.push(`confirmServing ${t.cluster}`)
        confirmed.push({ cluster: t.cluster, ...body, epoch: o.epoch })
        if (opts.refusing?.includes(t.cluster)) {
          throw GatewayErrors.agentRejected(`${t.cluster} answered 409 AGENT_ERR_SERVING_EPISODE_CHANGED`, {
            upstream: { service: 'agent', status: 409, code: 'AGENT_ERR_SERVING_EPISODE_CHANGED' },
          })
        }
        return { serving: true, reason: 'primary', detail: '', confirmed: { by: 'gateway', at: body.checked_at } }
      },
    }) as unknown as ClusterAgentClient
  const agents = { primary: agent, secondary: agent, cluster: agent, close: async () => {} } as unknown as AgentClients
  const meta = opts.meta ?? {}
  const store = {
    getMeta: async (key: string) => meta[key],
    setMeta: async () => {},
    metaUnder: async (prefix: string) => {
      log.push('fences')
      return new Map(Object.entries(meta).filter(([k]) => k.startsWith(prefix)) as Array<[string, string]>)
    },
    currentEpoch: async () => {
      log.push('epoch')
      return 7
    },
    operationHolding: async (cluster: string) => {
      log.push(`holder of ${cluster}`)
      const state = opts.held?.[cluster]
      return state === undefined ? undefined : { kind: 'failover', id: `op-${cluster}`, state }
    },
  }
  return { log, confirmed, agents, store }
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

const signal = new AbortController().signal

describe('confirming the primaries to their agents (getServing)', () => {
  it('reads getServing first, then the operations, then the fences and the epoch; echoes the episode', async () => {
    const { log, confirmed, agents, store } = fakes({ reasons: { dc1: 'unconfirmed' } })
    const now = Date.parse('2026-12-05T10:05:00.000Z')
    expect(await confirmPrimaries({ store, agents, now: () => now, signal }, [target('dc1')])).toEqual([])
    expect(log).toEqual([
      'getServing dc1',
      'holder of dc1',
      expect.stringMatching(/^(fences|epoch)$/),
      expect.stringMatching(/^(fences|epoch)$/),
      'confirmServing dc1',
    ])
    expect(confirmed).toEqual([{ cluster: 'dc1', checked_at: '2026-12-05T10:05:00.000Z', episode: 'ep-dc1', epoch: 7 }])
  })

  it('never confirms a primary that is fenced, held by an unfinished operation, or not waiting for it', async () => {
    const { confirmed, agents, store } = fakes({
      reasons: { dc1: 'unconfirmed', dc2: 'unconfirmed', dc3: 'unconfirmed', dc4: 'primary', dc5: 'dr_secondary' },
      meta: { [fenceKey('dc1')]: fence('dc1'), [fenceKey('dc6')]: '' },
      held: { dc2: 'pending', dc3: 'running' },
    })
    const primaries = ['dc1', 'dc2', 'dc3', 'dc4', 'dc5'].map(target)
    expect(await confirmPrimaries({ store, agents, now: Date.now, signal }, primaries)).toEqual([])
    expect(confirmed).toEqual([])

    // A fence cleared (a rejoin) holds nothing back.
    const cleared = fakes({ reasons: { dc6: 'unconfirmed' }, meta: { [fenceKey('dc6')]: '' } })
    await confirmPrimaries({ ...cleared, now: Date.now, signal }, [target('dc6')])
    expect(cleared.confirmed.map((c) => c.cluster)).toEqual(['dc6'])

    // A fence entry no one can read (damaged, or a newer gateway's shape) is no "no fence": not confirmed either.
    const damaged = fakes({
      reasons: { dc7: 'unconfirmed', dc8: 'unconfirmed' },
      meta: { [fenceKey('dc7')]: '{"cluster":"dc7","epoch":"seven"', [fenceKey('dc8')]: '{"cluster":"dc8"}' },
    })
    await confirmPrimaries({ ...damaged, now: Date.now, signal }, [target('dc7'), target('dc8')])
    expect(damaged.confirmed).toEqual([])
  })

  it('answers those refused (409) or whose agent is away as not confirmed, and reads nothing for none', async () => {
    const { log, confirmed, agents, store } = fakes({
      reasons: { dc3: 'unconfirmed', dc4: 'unconfirmed' },
      refusing: ['dc4'],
    })
    const primaries = [target('dc3'), target('dc4'), target('dc5')]
    expect((await confirmPrimaries({ store, agents, now: Date.now, signal }, primaries)).sort()).toEqual(['dc4', 'dc5'])
    expect(confirmed.map((c) => c.cluster)).toEqual(['dc3', 'dc4'])

    log.length = 0
    expect(await confirmPrimaries({ store, agents, now: Date.now, signal }, [])).toEqual([])
    expect(log).toEqual([])
  })
})
