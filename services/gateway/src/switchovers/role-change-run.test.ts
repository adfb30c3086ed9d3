import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { pendingStep } from '../operations/step.ts'
import { newLeg } from '../role-changes/leg.ts'
import { LeaseLost, type Store, type StoredCluster, type StoredDrToken } from '../store/store.ts'
import { type RunData, roleChangeRun } from './role-change-run.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'

const NOW = Date.parse('2026-12-05T00:00:00.000Z')
const at = (ms: number) => new Date(NOW + ms).toISOString()

function token(primary: string, expiresInMs: number, set: string | null, issuedAgoMs = 60_000): StoredDrToken {
  return {
    primary,
    token_sealed: new TextEncoder().encode(`sealed-${primary}`),
    issued_at: at(-issuedAgoMs),
    expires_at: at(expiresInMs),
    primary_cluster_id: set,
    previous_sealed: null,
    previous_expires_at: null,
    updated_at: at(-issuedAgoMs),
  }
}

function setup(kept: Record<string, StoredDrToken>) {
  const cluster = (name: string) => ({ name, role: 'primary' }) as StoredCluster
  const saved: unknown[] = []
  const issued: string[] = []
  const statusReads: string[] = []
  /** The store's epoch bumps and the operation's saves, in the order they were asked. */
  const order: string[] = []
  let failBump = false
  const custody = {
    get: async (name: string) => kept[name],
    open: (t: StoredDrToken) => `clear-${t.primary}`,
    ensure: async (c: StoredCluster) => {
      issued.push(c.name)
      return { token: token(c.name, 8 * 3_600_000, 'set-1', 0), rotated: 'requested' }
    },
  } as unknown as TokenCustody
  const deps = {
    store: {
      getCluster: async (name: string) => cluster(name),
      bumpEpoch: async () => {
        order.push('bump')
        if (failBump) throw new Error('the store did not answer')
        return 7
      },
    } as unknown as Store,
    clusters: {
      targetOf: (c: StoredCluster) => ({ cluster: c.name, url: 'http://127.0.0.1:1', token: 't' }),
    } as unknown as ClustersService,
    agents: {
      cluster: (target: { cluster: string }) => ({
        status: async () => {
          statusReads.push(target.cluster)
          return { checked_at: 'now' }
        },
      }),
    } as unknown as AgentClients,
    custody,
    settings: { settleTimeoutMs: 1_000, pollMs: 10, activationTtl: '5m', statusTimeoutMs: 1_000, maxLagWals: 10 },
    hooks: { caPem: undefined, timeoutMs: 1_000 },
    now: () => NOW,
  } as unknown as SwitchoverDeps
  const leg = {
    ...newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }]),
    replication_cluster_id: 'set-1',
  }
  let record = {
    id: 'op-1',
    kind: 'switchover',
    clusters: ['dc1', 'dc2'],
    subject: { catch_up_timeout: '90s' },
    data: { legs: [leg], checks: [], warnings: [], write_unavailable_ms: null, wals_lost: null },
    steps: [pendingStep('preflight')],
  } as unknown as OperationRecord
  const run: OperationRun<OperationRecord> = {
    record: () => record,
    save: async (patch, event) => {
      order.push('save')
      record = { ...record, ...patch }
      saved.push(event ?? null)
    },
    signal: () => new AbortController().signal,
    cancelRequested: async () => false,
    now: () => NOW,
    log: {} as FastifyBaseLogger,
  }
  const failBumps = () => {
    failBump = true
  }
  return { deps, run, issued, saved, statusReads, order, failBumps, record: () => record }
}

describe("a switchover's run context", () => {
  it('sends the kept DR operation token of the replication set valid longest, never one of another set', async () => {
    const { deps, run } = setup({
      dc1: token('dc1', 3_600_000, 'set-1'),
      dc2: token('dc2', 7_200_000, 'set-2'),
    })
    const r = await roleChangeRun(deps, run, () => ({}))
    expect(await r.roles.drToken()).toBe('clear-dc1')
    expect(r.roles.settings.catchUpTimeoutMs).toBe(90_000)
  })

  it('refuses to send a token about to expire, naming the fix', async () => {
    const { deps, run } = setup({ dc1: token('dc1', 10_000, 'set-1') })
    const r = await roleChangeRun(deps, run, () => ({}))
    await expect(r.roles.drToken()).rejects.toMatchObject({ code: 'GATEWAY_ERR_SWITCHOVER_NO_DR_OPERATION_TOKEN' })
  })

  it("keeps the new primary's token issued after the promote; has one issued when it was older", async () => {
    const { deps, run, issued } = setup({ dc2: token('dc2', 3_600_000, 'set-1', 1_000) })
    const r = await roleChangeRun(deps, run, () => ({}))
    const signal = new AbortController().signal
    expect(await r.roles.renewDrToken('dc2', at(-5_000), signal)).toMatchObject({ rotated: false })
    expect(issued).toEqual([])
    expect(await r.roles.renewDrToken('dc2', at(0), signal)).toMatchObject({ rotated: true })
    expect(issued).toEqual(['dc2'])
  })

  it('keeps a warning once: a step run again after a crash that says the same again adds nothing', async () => {
    const { deps, run, saved, record } = setup({})
    const r = await roleChangeRun(deps, run, () => ({}))
    await r.roles.warn('merkle-check on dc1 after its re-pointing: MERKLE_CORRUPTED')
    const resumed = await roleChangeRun(deps, run, () => ({}))
    await resumed.roles.warn('merkle-check on dc1 after its re-pointing: MERKLE_CORRUPTED')
    await resumed.roles.warn('post-hook: GATEWAY_ERR_HOOK_REFUSED')
    expect((record().data as RunData).warnings).toEqual([
      'merkle-check on dc1 after its re-pointing: MERKLE_CORRUPTED',
      'post-hook: GATEWAY_ERR_HOOK_REFUSED',
    ])
    expect(saved).toHaveLength(2)
  })

  it('uses a new epoch only after a write fenced by the lease: a run that lost it stops before any agent sees it', async () => {
    const { deps, run, saved } = setup({})
    const r = await roleChangeRun(deps, run, () => ({}))
    expect(await r.roles.bumpEpoch()).toBe(7)
    expect(saved).toEqual([null])
    const lost = { ...run, save: async () => Promise.reject(new LeaseLost('op-1')) }
    const late = await roleChangeRun(deps, lost, () => ({}))
    await expect(late.roles.bumpEpoch()).rejects.toBeInstanceOf(LeaseLost)
  })

  it('writes what the change must find on record in the fenced save after the epoch, and nothing when no epoch was had', async () => {
    const { deps, run, order, record, failBumps } = setup({})
    const r = await roleChangeRun(deps, run, () => ({}))
    expect(await r.roles.bumpEpoch({ leg: 0, patch: { demote_sent_at: at(0) } })).toBe(7)
    expect(order).toEqual(['bump', 'save'])
    expect((record().data as RunData).legs[0]?.demote_sent_at).toBe(at(0))
    failBumps()
    await expect(r.roles.bumpEpoch({ leg: 0, patch: { promote_sent_at: at(1) } })).rejects.toThrow(/did not answer/)
    expect(order).toEqual(['bump', 'save', 'bump'])
    expect((record().data as RunData).legs[0]?.promote_sent_at).toBeNull()
  })

  it('writes legs with the summary fields, and warnings as notes', async () => {
    const { deps, run, saved, record } = setup({})
    const r = await roleChangeRun(deps, run, (d) => ({ wals_lost: d.legs[0]?.wals_lost ?? null }))
    await r.roles.saveLeg(0, { wals_lost: 0 })
    await r.roles.warn('post-hook: refused')
    expect(record().data).toMatchObject({ wals_lost: 0, warnings: ['post-hook: refused'] })
    expect(saved).toEqual([null, { type: 'note', data: { warning: 'post-hook: refused' } }])
  })
})
