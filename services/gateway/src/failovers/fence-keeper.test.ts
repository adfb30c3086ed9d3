import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { StoredCluster } from '../store/store.ts'
import { createFenceKeeper } from './fence-keeper.ts'
import { readFence, writeFence } from './fence-record.ts'

const cluster = (name: string): StoredCluster => ({
  name,
  role: 'primary',
  agent_url: `http://127.0.0.1:1/${name}`,
  agent_token_sealed: new Uint8Array(),
  created_at: '2026-12-05T00:00:00.000Z',
  updated_at: '2026-12-05T00:00:00.000Z',
})

const statusIn = (mode: string): ClusterStatus =>
  ({ vault: { reachable: true }, replication: { mode } }) as unknown as ClusterStatus

function setup(modes: Record<string, string | Error>, epoch = 7) {
  const meta = new Map<string, string>()
  const demoted: Array<[string, number]> = []
  const store = {
    getMeta: async (k: string) => meta.get(k),
    setMeta: async (k: string, v: string) => void meta.set(k, v),
    listClusters: async () => Object.keys(modes).map(cluster),
    currentEpoch: async () => epoch,
  }
  const keeper = createFenceKeeper({
    store,
    statusOf: async (c) => {
      const mode = modes[c.name]
      if (mode instanceof Error) throw mode
      return statusIn(mode ?? 'disabled')
    },
    demote: async (c, _fence, e) => {
      demoted.push([c.name, e])
      modes[c.name] = 'secondary'
      return undefined
    },
    now: () => Date.parse('2026-12-05T01:00:00Z'),
    log: pino({ level: 'silent' }),
    intervalMs: 50,
  })
  const fence = (name: string, at = 3) =>
    writeFence(store, {
      cluster: name,
      epoch: at,
      failover_id: 'f1',
      new_primary: 'dc2',
      fenced_at: '2026-12-05T00:30:00.000Z',
      demoted_at: null,
      last_wal: null,
    })
  return { store, keeper, demoted, fence }
}

describe('the fence keeper', () => {
  it('leaves a fenced primary alone while it is away, demotes it with the current epoch once it answers, then forgets it', async () => {
    const modes: Record<string, string | Error> = { dc1: new Error('unreachable'), dc2: 'primary' }
    const { store, keeper, demoted, fence } = setup(modes)
    await fence('dc1')
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'away' }])
    modes.dc1 = 'primary'
    expect(await keeper.round()).toEqual([{ cluster: 'dc1', outcome: 'demoted' }])
    expect(demoted).toEqual([['dc1', 7]])
    expect((await readFence(store, 'dc1'))?.demoted_at).toBe('2026-12-05T01:00:00.000Z')
    expect(await keeper.round()).toEqual([])
  })

  it('records a returning cluster that is a secondary already without demoting it, and reports one with DR disabled', async () => {
    const { keeper, demoted, fence } = setup({ dc1: 'secondary', dc3: 'disabled' })
    await fence('dc1')
    await fence('dc3')
    const outcomes = await keeper.round()
    expect(outcomes[0]).toEqual({ cluster: 'dc1', outcome: 'not_primary' })
    expect(outcomes[1]).toMatchObject({ cluster: 'dc3', outcome: 'not_dr' })
    expect(demoted).toEqual([])
  })
})
