import { describe, expect, it } from 'vitest'
import type { AgentStatus } from '../agents/agent-types.ts'
import { StepCancelled } from '../operations/step.ts'
import { type Leg, newLeg } from '../role-changes/leg.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import type { RejoinSubject } from './failovers-subject.ts'
import { fenceKey } from './fence-record.ts'
import { leftBehindPreflight, recordLeftBehindPair } from './rejoin-left-behind.ts'
import { rejoinPreflight } from './rejoin-steps.ts'

const SET = 'set-1'
const subject: RejoinSubject = { cluster: 'dc1', primary: 'dc2', failover_id: null, left_by: 'switchover-1' }

type Status = Partial<AgentStatus>
const status = (replication: Record<string, unknown> | null, extra: Status = {}): Status =>
  ({
    vault: { reachable: true, sealed: false },
    replication:
      replication === null
        ? null
        : { cluster_id: SET, known_secondaries: [], secondaries: [], state: null, ...replication },
    fenced: null,
    ...extra,
  }) as Status
/** The store's meta entry of a failover's fence on `cluster`. */
const fenceEntry = (cluster: string, failoverId: string, newPrimary: string, demotedAt: string | null) => ({
  [fenceKey(cluster)]: JSON.stringify({
    cluster,
    epoch: 3,
    failover_id: failoverId,
    new_primary: newPrimary,
    fenced_at: '2026-12-06T09:00:00.000Z',
    demoted_at: demotedAt,
  }),
})
const runningPrimary = (extra: Record<string, unknown> = {}) => status({ mode: 'primary', state: 'running', ...extra })
const demoted = (extra: Record<string, unknown> = {}) => status({ mode: 'secondary', state: 'idle', ...extra })

function setup(
  statuses: Record<string, Status | Error>,
  meta: Record<string, string> = {},
  rotated: string | undefined = undefined,
  cancelled = false,
  failoverSet: string | null = SET,
) {
  let leg: Leg = {
    ...newLeg('dc1', 'dc2', 'dc1', [{ cluster: 'dc1', secondary_id: 'dc1' }]),
    replication_cluster_id: SET,
  }
  const roles: Record<string, string> = {}
  const pairings: unknown[] = []
  const ensured: Array<[string, string | null]> = []
  const deps = {
    store: {
      getMeta: async (key: string) => meta[key],
      getCluster: async (name: string) => ({ name }),
      // The failover a fence names, with the replication set it fenced its old primary in.
      getOperation: async (id: string) => ({ id, data: { legs: [{ replication_cluster_id: failoverSet }] } }),
    },
    custody: {
      async ensure(primary: { name: string }, set: string | null) {
        ensured.push([primary.name, set])
        return { token: { expires_at: '2026-12-06T18:00:00.000Z' }, rotated }
      },
    },
    settings: { settleTimeoutMs: 300 },
    now: () => Date.parse('2026-12-06T10:00:00.000Z'),
  } as unknown as FailoverDeps
  const run = {
    run: { signal: () => new AbortController().signal, cancelRequested: async () => cancelled },
    roles: {
      leg: () => leg,
      async saveLeg(_: number, patch: Partial<Leg>) {
        leg = { ...leg, ...patch }
      },
      client: (name: string) => ({
        async status() {
          const s = statuses[name]
          if (s instanceof Error) throw s
          return s
        },
      }),
      async setRole(cluster: string, role: string) {
        roles[cluster] = role
      },
      async recordPairing(pair: unknown) {
        pairings.push(pair)
      },
    },
  } as unknown as RoleChangeRun
  return { deps, run, leg: () => leg, roles, pairings, ensured }
}

const refusal = (s: ReturnType<typeof setup>) =>
  leftBehindPreflight(s.deps, s.run, subject).then(
    () => undefined,
    (err: { code?: string; message?: string }) => err,
  )

describe('the preflight of a rejoin of a cluster a failed operation left behind', () => {
  it('passes a demoted cluster and a running primary of the same set, keeping the set on the leg', async () => {
    const s = setup({ dc1: demoted(), dc2: runningPrimary() })
    const result = await leftBehindPreflight(s.deps, s.run, subject)
    expect(result.status).toBe('succeeded')
    expect(s.leg().replication_cluster_id).toBe(SET)
    expect(s.leg().followers).toEqual([{ cluster: 'dc1', secondary_id: 'dc1' }])
    expect(s.ensured).toEqual([['dc2', SET]])
    expect(result.detail).toContain('the DR operation token kept for dc2 is valid until 2026-12-06T18:00:00.000Z')
  })

  it('has the primary issue a DR operation token when none it keeps is valid for long (the operation that left the cluster ran hours ago)', async () => {
    const s = setup({ dc1: demoted(), dc2: runningPrimary() }, {}, 'expired')
    const result = await leftBehindPreflight(s.deps, s.run, subject)
    expect(s.ensured).toEqual([['dc2', SET]])
    expect(result.detail).toContain('dc2 issued a DR operation token (expired), valid until 2026-12-06T18:00:00.000Z')
  })

  it('issues nothing once a cancellation was asked while it read the clusters', async () => {
    const s = setup({ dc1: demoted(), dc2: runningPrimary() }, {}, 'expired', true)
    await expect(leftBehindPreflight(s.deps, s.run, subject)).rejects.toBeInstanceOf(StepCancelled)
    expect(s.ensured).toEqual([])
  })

  it("the fenced old primary's rejoin has the new primary issue a DR operation token the same way", async () => {
    const fence = fenceEntry('dc1', 'failover-1', 'dc2', '2026-12-06T09:30:00.000Z')
    const s = setup({ dc1: demoted(), dc2: runningPrimary() }, fence, 'expired')
    const fenced: RejoinSubject = { cluster: 'dc1', primary: 'dc2', failover_id: 'failover-1' }
    const result = await rejoinPreflight(s.deps, s.run, fenced)
    expect(s.ensured).toEqual([['dc2', SET]])
    expect(result.detail).toContain('dc2 issued a DR operation token (expired), valid until 2026-12-06T18:00:00.000Z')
  })

  it("the fenced old primary's rejoin refuses a primary of another replication set than its failover's, issuing nothing", async () => {
    const fence = fenceEntry('dc1', 'failover-1', 'dc2', '2026-12-06T09:30:00.000Z')
    const s = setup({ dc1: demoted(), dc2: runningPrimary() }, fence, undefined, false, 'set-of-the-failover')
    const fenced: RejoinSubject = { cluster: 'dc1', primary: 'dc2', failover_id: 'failover-1' }
    await expect(rejoinPreflight(s.deps, s.run, fenced)).rejects.toMatchObject({
      code: 'GATEWAY_ERR_REJOIN_ROLES',
      message: expect.stringContaining(`dc2 runs as DR primary of replication set ${SET}, not of set-of-the-failover`),
    })
    expect(s.ensured).toEqual([])
  })

  it('refuses, at once, a cluster that is a DR primary itself, or a secondary of another set', async () => {
    const primary = await refusal(setup({ dc1: runningPrimary(), dc2: runningPrimary() }))
    expect(primary).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
    expect(primary?.message).toContain('dc1 is in DR mode primary')
    const other = await refusal(setup({ dc1: demoted({ cluster_id: 'set-2' }), dc2: runningPrimary() }))
    expect(other).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
    expect(other?.message).toContain('replication set set-2')
    // One that names no set cannot be shown to be of the primary's: refused too.
    const unknown = await refusal(setup({ dc1: demoted({ cluster_id: null }), dc2: runningPrimary() }))
    expect(unknown).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
  })

  it('refuses a primary that is not running, or of another set than the operation recorded (a promote that never took effect)', async () => {
    const secondary = await refusal(setup({ dc1: demoted(), dc2: demoted() }))
    expect(secondary).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
    expect(secondary?.message).toContain('dc2 is in DR mode secondary')
    const moved = await refusal(setup({ dc1: demoted(), dc2: runningPrimary({ cluster_id: 'set-2' }) }))
    expect(moved).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
  })

  it('refuses a primary a failover fenced, by the store or by its agent, even while it answers as a running primary', async () => {
    const fence = fenceEntry('dc2', 'failover-7', 'dc3', null)
    const byStore = await refusal(setup({ dc1: demoted(), dc2: runningPrimary() }, fence))
    expect(byStore).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_ROLES' })
    expect(byStore?.message).toContain('failed away from by failover failover-7')
    const held = status({ mode: 'primary', state: 'running' }, {
      fenced: { at: '2026-12-06T09:00:00.000Z', reason: 'cut off 60 s', epoch: 3, demoted_at: null, by: 'isolation' },
    } as Status)
    const byAgent = await refusal(setup({ dc1: demoted(), dc2: held }))
    expect(byAgent?.message).toContain('its agent holds a fence: cut off 60 s')
  })

  it('refuses, at once and with the upgrade to make, a cluster on an older Vault than the primary (either kind of rejoin)', async () => {
    const on = (version: string, st: Status) =>
      ({ ...st, vault: { reachable: true, sealed: false, version } }) as Status
    const older = { dc1: on('1.16.2+ent', demoted()), dc2: on('1.17.0+ent', runningPrimary()) }
    const behind = await refusal(setup(older))
    expect(behind).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_OLDER_VERSION' })
    expect(behind?.message).toContain("dc1 runs Vault 1.16.2+ent, older than dc2's 1.17.0+ent")
    expect((behind as { fix?: string }).fix).toContain('Upgrade dc1 to Vault 1.17.0+ent or newer')
    const fence = fenceEntry('dc1', 'failover-1', 'dc2', '2026-12-06T09:30:00.000Z')
    const s = setup(older, fence)
    const fenced: RejoinSubject = { cluster: 'dc1', primary: 'dc2', failover_id: 'failover-1' }
    await expect(rejoinPreflight(s.deps, s.run, fenced)).rejects.toMatchObject({
      code: 'GATEWAY_ERR_REJOIN_OLDER_VERSION',
    })
    expect(s.ensured).toEqual([])
    // The same version, or a newer one, follows.
    const newer = setup({ dc1: on('1.17.1+ent', demoted()), dc2: on('1.17.0+ent', runningPrimary()) })
    expect((await leftBehindPreflight(newer.deps, newer.run, subject)).status).toBe('succeeded')
  })

  it('waits, bounded, for a cluster that does not answer, then names it', async () => {
    const away = await refusal(setup({ dc1: new Error('connect ECONNREFUSED'), dc2: runningPrimary() }))
    expect(away).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_UNREACHABLE' })
    expect(away?.message).toContain('dc1: connect ECONNREFUSED')
  })

  it('keeps the id of a cluster already streaming from the primary under another one', async () => {
    const s = setup({
      dc1: status({ mode: 'secondary', state: 'stream-wals', secondary_id: 'dc1-again' }),
      dc2: runningPrimary({
        known_secondaries: ['dc1-again'],
        secondaries: [{ node_id: 'dc1-again', connection_status: 'connected' }],
      }),
    })
    const result = await leftBehindPreflight(s.deps, s.run, subject)
    expect(result.detail).toContain('already streams from it as dc1-again')
    expect(s.leg().followers).toEqual([{ cluster: 'dc1', secondary_id: 'dc1-again' }])
  })

  it('ends by recording the pair and both roles as Vault reports them', async () => {
    const s = setup({})
    const result = await recordLeftBehindPair(s.deps, s.run, subject)
    expect(result.detail).toContain('left behind by operation switchover-1')
    expect(s.pairings).toEqual([{ secondary: 'dc1', primary: 'dc2', secondary_id: 'dc1' }])
    expect(s.roles).toEqual({ dc1: 'secondary', dc2: 'primary' })
    expect(s.leg().finished_at).toBe('2026-12-06T10:00:00.000Z')
  })
})
