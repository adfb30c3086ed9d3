import type { FastifyBaseLogger } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { operationRecord } from '../../test/helpers/store-contract.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { StepFailed, type StepResult } from '../operations/step.ts'
import { type Leg, newLeg } from '../role-changes/leg.ts'
import type { RoleChangeContext } from '../role-changes/role-change-context.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import { LeaseLost } from '../store/store.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import type { FailoverSubject } from './failovers-subject.ts'
import { recordFence } from './fence-old-primary.step.ts'
import { armFence, clearFence, readFence, readFenceEntry } from './fence-record.ts'
import { promoteFencingOld, VERDICT_FRESH_MS } from './promote-fencing-old.ts'

const NOW = Date.parse('2026-12-06T12:00:00.000Z')
const OWNER = 'gw-a/1'
const SUBJECT = { from: 'dc1', to: 'dc2', down_for: '30s', allow_data_loss: false } as FailoverSubject
const silent = { warn: () => {}, info: () => {}, error: () => {} } as unknown as FastifyBaseLogger

/**
 * A failover of dc1 to dc2 held by OWNER in a real store, its preflight finished `judgedAgoMs` before now, and a
 * promote that does what promoteSecondary does around its send: the fence hook, promote_sent_at, then `outcome`.
 */
function setup(store: SqliteStore, judgedAgoMs = 10, cancelled = false) {
  let leg: Leg = { ...newLeg('dc1', 'dc2', 'dc2', []), replication_cluster_id: 'set-1' }
  const record = {
    ...operationRecord({ id: 'fo-1', state: 'running', clusters: ['dc1', 'dc2'] }),
    steps: [
      {
        name: 'preflight',
        status: 'succeeded',
        started_at: new Date(NOW - judgedAgoMs - 5).toISOString(),
        finished_at: new Date(NOW - judgedAgoMs).toISOString(),
        detail: null,
        error: null,
      },
    ],
  } as OperationRecord
  const planned: string[] = []
  const deps = {
    store,
    now: () => NOW,
    planner: async () => {
      planned.push('planned')
      // The primary answers again: the guard refuses now.
      return {
        primary: 'dc1',
        allowed: false,
        refusal: { code: 'PRIMARY_HEALTHY', detail: 'dc1 answers', fix: null },
        primary_verdict: 'healthy',
        vantage_points: [],
        data_loss: { wals: 0, primary_last_wal: 40, secondary_last_remote_wal: 40 },
        dr_operation_token: { source: 'kept' },
        old_primary_fence: null,
        items: [],
      }
    },
  } as unknown as FailoverDeps
  const roles = {
    operationId: 'fo-1',
    log: silent,
    leg: () => leg,
    saveLeg: async (_key: unknown, patch: Partial<Leg>) => {
      leg = { ...leg, ...patch }
    },
  } as unknown as RoleChangeContext
  const r = {
    roles,
    data: () => ({}),
    saveData: async () => {},
    run: {
      record: () => record,
      signal: () => new AbortController().signal,
      cancelRequested: async () => cancelled,
      log: silent,
      lease: { operation: 'fo-1', owner: OWNER },
    },
  } as unknown as RoleChangeRun
  const seenAtSend: Array<string | undefined> = []
  const pendingAtSend: Array<boolean | undefined> = []
  const promote =
    (outcome: 'promoted' | 'refused' | 'unanswered') =>
    async (run: RoleChangeRun): Promise<StepResult> => {
      await run.roles.beforePromote?.()
      const earlier = leg.promote_sent_at
      await run.roles.saveLeg(0, { promote_sent_at: new Date(NOW).toISOString() })
      const atSend = await readFence(store, 'dc1')
      seenAtSend.push(atSend?.failover_id)
      pendingAtSend.push(atSend?.pending_promote)
      if (outcome === 'refused') {
        await run.roles.saveLeg(0, { promote_sent_at: earlier })
        throw new Error('Vault refused the promote')
      }
      if (outcome === 'unanswered') throw new Error('the agent gave no answer')
      return { status: 'succeeded', detail: 'promoted' }
    }
  return { r, deps, promote, seenAtSend, pendingAtSend, planned }
}

describe("a failover's promote fences the old primary before it is sent", () => {
  let store: SqliteStore
  beforeEach(async () => {
    store = new SqliteStore(':memory:')
    await store.createOperation(operationRecord({ id: 'fo-1', state: 'running', clusters: ['dc1', 'dc2'] }))
    expect(await store.claimOperation('fo-1', OWNER, NOW, NOW + 30_000)).toBe(true)
  })
  afterEach(() => store.close())

  it('has the fence on record, pending, when the promote goes out, and arms it once the promote was sent', async () => {
    const { r, deps, promote, seenAtSend, pendingAtSend } = setup(store)
    expect((await promoteFencingOld(deps, r, SUBJECT, promote('promoted'))).status).toBe('succeeded')
    expect(seenAtSend).toEqual(['fo-1'])
    expect(pendingAtSend).toEqual([true])
    const fence = await readFence(store, 'dc1')
    expect(fence).toMatchObject({ failover_id: 'fo-1', new_primary: 'dc2', demoted_at: null })
    expect(fence?.pending_promote).toBeUndefined()
  })

  it('goes on when a cancellation came once the step started: it is past the point of no return, as the cancel answered', async () => {
    const { r, deps, promote, seenAtSend } = setup(store, 10, true)
    expect((await promoteFencingOld(deps, r, SUBJECT, promote('promoted'))).status).toBe('succeeded')
    expect(seenAtSend).toEqual(['fo-1'])
    expect(await readFence(store, 'dc1')).toMatchObject({ failover_id: 'fo-1', new_primary: 'dc2' })
  })

  it('goes on, cancellation or not, once an earlier attempt sent the promote (it may land)', async () => {
    const { r, deps, promote, seenAtSend } = setup(store, 10, true)
    await r.roles.saveLeg(0, { promote_sent_at: new Date(NOW - 1_000).toISOString() })
    expect((await promoteFencingOld(deps, r, SUBJECT, promote('promoted'))).status).toBe('succeeded')
    expect(seenAtSend).toEqual(['fo-1'])
  })

  it("never replaces another failover's fence with a pending one, nor takes that one back with its own", async () => {
    // An earlier failover to dc2 fenced dc1, its promote unanswered, and its keeper recorded the demote.
    const earlier = { cluster: 'dc1', epoch: 3, failover_id: 'fo-0', new_primary: 'dc2', demoted_at: null }
    const recorded = { ...earlier, fenced_at: new Date(NOW - 60_000).toISOString(), last_wal: 41 }
    await store.setMeta('fence/dc1', JSON.stringify(recorded))
    const { r, deps, promote } = setup(store)
    await expect(promoteFencingOld(deps, r, SUBJECT, promote('refused'))).rejects.toThrow('refused')
    expect(await readFence(store, 'dc1')).toEqual(recorded)
  })

  it("sends no promote over a fence entry no one can read (it may be another failover's fence)", async () => {
    await store.setMeta('fence/dc1', '{"cluster":"dc1","epoch":')
    const { r, deps, promote, seenAtSend } = setup(store)
    const failure = await promoteFencingOld(deps, r, SUBJECT, promote('promoted')).catch((err: unknown) => err)
    expect(failure).toMatchObject({ code: 'GATEWAY_ERR_FENCE_UNREADABLE' })
    expect(seenAtSend).toEqual([])
    expect(await store.getMeta('fence/dc1')).toBe('{"cluster":"dc1","epoch":')
  })

  it('writes its fence over an entry no one can read once the promote was sent: left unfenced, dc1 would serve', async () => {
    const { r } = setup(store)
    const deps = { store, now: () => NOW } as unknown as FailoverDeps
    await r.roles.saveLeg(0, { promote_sent_at: new Date(NOW - 1_000).toISOString() })
    await store.setMeta('fence/dc1', '{"cluster":"dc1","epoch":')
    await recordFence(deps, r)
    const fence = await readFenceEntry(store, 'dc1')
    expect(fence).toMatchObject({ failover_id: 'fo-1', new_primary: 'dc2', demoted_at: null })
  })

  it('leaves the fence a fence keeper armed meanwhile (it saw the promote land) when the send is refused', async () => {
    const { r, deps } = setup(store)
    const refusedAfterArming = async (run: RoleChangeRun): Promise<StepResult> => {
      await run.roles.beforePromote?.()
      // Another gateway's keeper sees dc2 answer as a DR primary: an earlier send of this promote landed.
      expect(await armFence(store, 'dc1', 'fo-1')).toBe(true)
      throw new Error('Vault refused the promote')
    }
    await expect(promoteFencingOld(deps, r, SUBJECT, refusedAfterArming)).rejects.toThrow('refused')
    expect(await readFence(store, 'dc1')).toMatchObject({ failover_id: 'fo-1' })
  })

  it('keeps the fence after a promote that got no answer (it may land), takes it back after a refused one', async () => {
    const unanswered = setup(store)
    await expect(
      promoteFencingOld(unanswered.deps, unanswered.r, SUBJECT, unanswered.promote('unanswered')),
    ).rejects.toThrow('no answer')
    expect((await readFence(store, 'dc1'))?.failover_id).toBe('fo-1')
    await store.setMeta('fence/dc1', '')

    const refused = setup(store)
    await expect(promoteFencingOld(refused.deps, refused.r, SUBJECT, refused.promote('refused'))).rejects.toThrow(
      'refused',
    )
    expect(refused.seenAtSend).toEqual(['fo-1'])
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })

  it('writes no fence, and sends no promote, once another gateway took the failover over', async () => {
    const { r, deps, promote, seenAtSend } = setup(store)
    expect(await store.claimOperation('fo-1', 'gw-b/1', NOW + 30_001, NOW + 60_000)).toBe(true)
    await expect(promoteFencingOld(deps, r, SUBJECT, promote('promoted'))).rejects.toBeInstanceOf(LeaseLost)
    expect(seenAtSend).toEqual([])
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })

  it('never writes again a fence a rejoin ended (a gateway paused through the failover and its rejoin)', async () => {
    const first = setup(store)
    await promoteFencingOld(first.deps, first.r, SUBJECT, first.promote('promoted'))
    expect(await clearFence(store, 'dc1', 'fo-1')).toBe(true)
    const stale = setup(store)
    await expect(promoteFencingOld(stale.deps, stale.r, SUBJECT, stale.promote('promoted'))).rejects.toThrow(
      'a rejoin ended the fence',
    )
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })

  it('judges the failover again before a promote whose verdict is stale (resumed later), and sends none when refused', async () => {
    const fresh = setup(store, VERDICT_FRESH_MS - 100)
    await promoteFencingOld(fresh.deps, fresh.r, SUBJECT, fresh.promote('promoted'))
    expect(fresh.planned).toEqual([])
    await store.setMeta('fence/dc1', '')

    const resumed = setup(store, 60_000)
    const failure = await promoteFencingOld(resumed.deps, resumed.r, SUBJECT, resumed.promote('promoted')).catch(
      (err: unknown) => err,
    )
    expect(failure, String((failure as Error).stack)).toBeInstanceOf(StepFailed)
    expect((failure as StepFailed).error.detail).toContain('PRIMARY_HEALTHY')
    expect(resumed.planned.length).toBeGreaterThan(0)
    expect(resumed.seenAtSend).toEqual([])
    expect(await readFence(store, 'dc1')).toBeUndefined()
  })
})
