import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeWorld } from '../../test/helpers/fake-agents.ts'
import { tempDir } from '../../test/helpers/gateway.ts'
import { operationRecord, record } from '../../test/helpers/store-contract.ts'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { PairMetrics } from '../metrics/gateway-metrics.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import type { StoredCluster } from '../store/store.ts'
import { createPairsService, type PairsService } from './pairs.service.ts'

const AT = '2026-12-01T00:00:00.000Z'
const SWAPPED_AT = '2026-12-02T00:00:00.000Z'

const cluster = (name: string, role: StoredCluster['role']): StoredCluster => ({
  name,
  role,
  agent_url: `http://127.0.0.1:1/${name}`,
  agent_token_sealed: Uint8Array.of(1),
  created_at: AT,
  updated_at: AT,
})

/** No agent answers: pairs are listed from the store, each side with its error. */
const silentAgent = { status: async () => Promise.reject(new Error('no agent in this test')) }

/** The service over `store` with no agent answering, as each test needs it but for `over`. */
const pairsOver = (store: SqliteStore, over: Partial<Parameters<typeof createPairsService>[0]> = {}) =>
  createPairsService({
    store,
    clusters: { targetOf: (c: StoredCluster) => ({ name: c.name }) } as unknown as ClustersService,
    agents: { primary: () => silentAgent, secondary: () => silentAgent } as unknown as AgentClients,
    custody: { get: async () => undefined } as unknown as TokenCustody,
    metrics: { observePair() {}, observeReady() {}, retainPairs() {} } as unknown as PairMetrics,
    now: () => Date.parse(SWAPPED_AT),
    statusTimeoutMs: 100,
    tokenMinRemainingS: 60,
    ...over,
  })

describe('pairs after a switchover reversed them without a handshake', () => {
  let dir: ReturnType<typeof tempDir>
  let store: SqliteStore
  let pairs: PairsService

  beforeEach(async () => {
    dir = tempDir()
    store = new SqliteStore(join(dir.dir, 'gateway.sqlite'))
    pairs = pairsOver(store)
    await store.upsertCluster(cluster('dc1', 'primary'))
    await store.upsertCluster(cluster('dc2', 'secondary'))
    await store.upsertCluster(cluster('dc3', 'secondary'))
    for (const secondary of ['dc2', 'dc3']) {
      const made = await store.createHandshake(record({ primary: 'dc1', secondary, secondary_id: `${secondary}-id` }))
      if (made.kind !== 'created') throw new Error(`handshake not created: ${made.kind}`)
      await store.updateHandshake(made.handshake.id, { state: 'succeeded', finished_at: AT }, AT)
    }
  })

  afterEach(async () => {
    pairs.close()
    await store.close()
    dir.cleanup()
  })

  const listed = async () => (await pairs.list()).map((p) => ({ secondary: p.secondary, primary: p.primary }))

  it('lists the pairs the handshakes made before the swap', async () => {
    expect(await listed()).toEqual([
      { secondary: 'dc2', primary: 'dc1' },
      { secondary: 'dc3', primary: 'dc1' },
    ])
  })

  it('lists the recorded reversed pairs, and not the handshake pair of the cluster that is primary now', async () => {
    await store.setClusterRole('dc2', 'primary', SWAPPED_AT)
    await store.setClusterRole('dc1', 'secondary', SWAPPED_AT)
    await store.recordPairing({ secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1-id' }, SWAPPED_AT)
    await store.recordPairing({ secondary: 'dc3', primary: 'dc2', secondary_id: 'dc3-b' }, SWAPPED_AT)

    expect(await listed()).toEqual([
      { secondary: 'dc1', primary: 'dc2' },
      { secondary: 'dc3', primary: 'dc2' },
    ])
    // Asked by the name it had as a secondary: told it is the primary now, and by which names to ask.
    await expect(pairs.get('dc2')).rejects.toMatchObject({
      code: 'GATEWAY_ERR_PAIR_NOT_FOUND',
      message: 'dc2 is the DR primary of the pair dc1, dc3 now; a pair is named by its secondary',
      fix: 'Name the pair by its secondary: ask again with dc1 in place of dc2.',
    })
    await expect(pairs.get('dc9')).rejects.toMatchObject({
      message: 'No pair has the secondary dc9: no cluster of that name is registered',
    })
    await store.upsertCluster(cluster('dc4', 'primary'))
    await expect(pairs.get('dc4')).rejects.toMatchObject({
      message: expect.stringContaining('No pair has the secondary dc4: it is registered (as primary) but follows no'),
    })
    const members = await pairs.members('dc1')
    expect(members.primary.name).toBe('dc2')
    expect(members.names.secondary_id).toBe('dc1-id')
    expect(members.followers).toEqual(['dc3'])
  })
  it('refuses a token rotation while an operation changes the pair', async () => {
    const made = await store.createOperation(
      operationRecord({ id: 'sw-1', kind: 'switchover', state: 'running', clusters: ['dc1', 'dc2'] }),
    )
    expect(made.kind).toBe('created')
    await expect(pairs.rotate('dc2')).rejects.toMatchObject({
      code: 'GATEWAY_ERR_CLUSTER_BUSY',
      message: 'Operation sw-1 (switchover) is running and holds cluster dc1',
    })
  })
  it('issues no token for a pair a handshake just joined while an operation already holds it', async () => {
    let issued = 0
    // The pair streams: without an operation holding it, its token would be issued now.
    const world = new FakeWorld()
    world.replicate('dc2-id')
    const joined = pairsOver(store, {
      agents: world.clients(),
      custody: {
        get: async () => undefined,
        ensure: async () => {
          issued++
          throw new Error('no token may be issued here')
        },
      } as unknown as TokenCustody,
    })
    try {
      await store.createOperation(
        operationRecord({ id: 'dr-1', kind: 'drill', state: 'running', clusters: ['dc1', 'dc2'] }),
      )
      const names = { primary: 'dc1', secondary: 'dc2', secondary_id: 'dc2-id' }
      expect(await joined.keepTokenOfJoined(names)).toEqual({ rotated: undefined })
      expect(issued).toBe(0)
    } finally {
      joined.close()
    }
  })
  it('updates the readiness of a pair an operation holds (the upkeep only leaves its token alone)', async () => {
    const observed: string[] = []
    const watched = pairsOver(store, {
      metrics: {
        observePair() {},
        retainPairs() {},
        observeReady: (pair: { secondary: string }, ready: boolean) => observed.push(`${pair.secondary} ${ready}`),
      } as unknown as PairMetrics,
    })
    try {
      await store.createOperation(
        operationRecord({ id: 'sw-1', kind: 'switchover', state: 'running', clusters: ['dc1', 'dc2'] }),
      )
      const outcomes = await watched.upkeep()
      // dc1 is held, so both its pairs are left without error; their readiness (no agent answers: not ready) is set.
      expect(outcomes).toEqual([{ secondary: 'dc2' }, { secondary: 'dc3' }])
      expect(observed.sort()).toEqual(['dc2 false', 'dc3 false'])
    } finally {
      watched.close()
    }
  })
})
