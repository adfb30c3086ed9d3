import { CodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { isUnfinished } from '../operations/rerun-unfinished.ts'
import { demotePrimary } from './demote-primary.step.ts'
import { followNewPrimary } from './follow-new-primary.step.ts'
import { type Leg, newLeg } from './leg.ts'
import { newDrOperationToken } from './new-dr-token.step.ts'
import { promoteSecondary } from './promote-secondary.step.ts'
import { recentStatuses } from './recent-statuses.ts'
import type { LegKey, RoleChangeClient, RoleChangeContext } from './role-change-context.ts'
import { undoDemote } from './undo-demote.ts'
import { verifyNewPrimary } from './verify-new-primary.step.ts'
import { verifyPairs } from './verify-pairs.step.ts'
import { waitCatchUp } from './wait-catch-up.step.ts'

const DR_TOKEN = 'hvb.dr-operation-token-for-tests'

/** A cluster of the fake world: its role, its data (a WAL counter) and whom it follows. */
interface FakeCluster {
  name: string
  mode: 'primary' | 'secondary'
  wal: number
  /** The primary it follows and the id it has there; null: none (a demoted primary). */
  follows: string | null
  secondaryId: string
  known: Set<string>
  /** WALs written on the primary are shipped to this cluster (false: it never catches up). */
  receiving: boolean
  /** The DR state it reports whatever happens (Vault can show stream-wals a while after its primary went). */
  shownState?: string
  /** Its Vault gives no DR status (no active node for a moment after a role change). */
  noDrStatus?: boolean
  /** Its Vault is sealed (and so gives no DR status). */
  sealed?: boolean
  /** What its merkle-check finds (a DR secondary only); 'error': the agent's call fails. */
  merkle?: 'clean' | 'corrupted' | 'error'
}

/**
 * Clusters in memory, with the agent operations the steps use and a log of every change sent (with its epoch), so a
 * test can say which changes were made, in which order, and that none was made twice.
 */
function world(names: string[]) {
  const clusters = new Map<string, FakeCluster>()
  for (const name of names) {
    clusters.set(name, {
      name,
      mode: name === names[0] ? 'primary' : 'secondary',
      wal: 10,
      follows: name === names[0] ? null : (names[0] as string),
      secondaryId: name === names[0] ? '' : name,
      known: new Set(name === names[0] ? names.slice(1) : []),
      receiving: true,
    })
  }
  const changes: string[] = []
  const merkleChecks: string[] = []
  const epochs: number[] = []
  /** Status reads per cluster, as the agents would serve them. */
  const reads = new Map<string, number>()
  const get = (name: string) => clusters.get(name) as FakeCluster
  const streams = (c: FakeCluster) => {
    const p = c.follows === null ? undefined : get(c.follows)
    return p !== undefined && p.mode === 'primary' && p.known.has(c.secondaryId)
  }
  const ship = () => {
    for (const c of clusters.values())
      if (c.mode === 'secondary' && streams(c) && c.receiving) c.wal = get(c.follows ?? '').wal
  }
  const fullStatus = (c: FakeCluster): ClusterStatus => {
    ship()
    const primary = c.mode === 'primary'
    return {
      vault: {
        reachable: true,
        address: c.name,
        health_code: primary ? 200 : 472,
        initialized: true,
        sealed: false,
        version: '1.21.0+ent',
        enterprise: true,
        ha_role: 'active',
        cluster_name: c.name,
        cluster_id: c.name,
        dr_mode: c.mode,
        error: null,
      },
      replication: {
        mode: c.mode,
        state: c.shownState ?? (primary ? 'running' : streams(c) ? 'stream-wals' : 'idle'),
        cluster_id: 'set-1',
        merkle_root: `root-${c.wal}`,
        last_wal: primary ? c.wal : null,
        known_secondaries: [...c.known],
        secondaries: [...clusters.values()]
          .filter((s) => s.follows === c.name && c.known.has(s.secondaryId) && primary)
          .map((s) => ({
            node_id: s.secondaryId,
            api_address: null,
            cluster_address: null,
            connection_status: 'connected',
            last_heartbeat: null,
            heartbeat_age_s: null,
          })),
        primary_cluster_addr: null,
        connection_state: primary ? null : streams(c) ? 'ready' : 'idle',
        primaries: [],
        known_primary_cluster_addrs: [],
        last_remote_wal: primary ? null : c.wal,
        secondary_id: primary ? null : c.secondaryId,
      },
      checked_at: new Date().toISOString(),
    }
  }
  const status = (c: FakeCluster): ClusterStatus => {
    const s = fullStatus(c)
    if (c.sealed === true) return { ...s, vault: { ...s.vault, sealed: true }, replication: null }
    return c.noDrStatus === true ? { ...s, replication: null } : s
  }
  const refused = (code: string, detail: string) => new CodedError({ code, status: 409, title: code }, detail)
  const result = (c: FakeCluster) => ({ changed: true, detail: 'ok', warnings: [], status: status(c) })
  const client = (name: string): RoleChangeClient => {
    const c = get(name)
    const change = (what: string, epoch?: number) => {
      changes.push(`${what} ${name}`)
      if (epoch !== undefined) epochs.push(epoch)
    }
    return {
      status: async () => {
        reads.set(name, (reads.get(name) ?? 0) + 1)
        return status(c)
      },
      async demote(_body, opts) {
        if (c.mode !== 'primary') throw refused('AGENT_ERR_NOT_DR_PRIMARY', `${name} is not a primary`)
        change('demote', opts?.epoch)
        c.mode = 'secondary'
        c.follows = null
        c.secondaryId = ''
        c.known.clear()
        return result(c)
      },
      async promote(body, opts) {
        if (c.mode !== 'secondary') throw refused('AGENT_ERR_NOT_DR_SECONDARY', `${name} is not a secondary`)
        if (body.dr_operation_token !== DR_TOKEN) throw refused('AGENT_ERR_DR_OPERATION_TOKEN_REJECTED', 'bad token')
        change('promote', opts?.epoch)
        c.mode = 'primary'
        c.follows = null
        c.known.clear()
        return result(c)
      },
      async updatePrimary(body, opts) {
        if (c.mode !== 'secondary') throw refused('AGENT_ERR_NOT_DR_SECONDARY', `${name} is not a secondary`)
        const [, primary, id, key] = (body.token ?? '').split(':')
        if (key !== `pk-${name}`) throw refused('VAULT_ERR_FAILED', 'token made for another public key')
        change('update-primary', opts?.epoch)
        c.follows = primary ?? null
        c.secondaryId = id ?? ''
        return result(c)
      },
      generatePublicKey: async () => ({ secondary_public_key: `pk-${name}` }),
      async mintToken(body) {
        if (c.mode !== 'primary') throw refused('AGENT_ERR_NOT_DR_PRIMARY', `${name} is not a primary`)
        if (c.known.has(body.secondary_id)) throw refused('VAULT_ERR_FAILED', 'id already in use')
        change(`mint ${body.secondary_id} on`)
        c.known.add(body.secondary_id)
        return {
          secondary_id: body.secondary_id,
          token: `tok:${name}:${body.secondary_id}:${body.secondary_public_key}`,
        } as never
      },
      async revoke(id) {
        change(`revoke ${id} on`)
        c.known.delete(id)
        return { secondary_id: id, revoked: true, detail: 'revoked' }
      },
      checkWrites: async () => ({ writable: c.mode === 'primary', detail: c.mode, code: null, took_ms: 1 }),
      async checkMerkle(token) {
        if (c.mode !== 'secondary') throw refused('SECONDARY_ERR_NOT_DR_SECONDARY', `${name} is not a secondary`)
        if (token !== DR_TOKEN) throw refused('AGENT_ERR_DR_OPERATION_TOKEN_REJECTED', 'bad token')
        merkleChecks.push(name)
        if (c.merkle === 'error') throw refused('VAULT_ERR_UNREACHABLE', `${name}'s Vault did not answer`)
        const corrupted = c.merkle === 'corrupted'
        return {
          outcome: corrupted ? 'corrupted' : 'clean',
          code: corrupted ? 'MERKLE_CORRUPTED' : 'MERKLE_CLEAN',
          detail: corrupted ? 'the replicated tree is corrupted.' : 'clean.',
          fix: corrupted ? 'Reindex it.' : null,
          corrupted_trees: corrupted ? ['replicated'] : [],
          checked_at: new Date().toISOString(),
        }
      },
    }
  }
  return {
    get,
    client,
    changes,
    merkleChecks,
    epochs,
    reads,
    write: (name: string) => {
      get(name).wal++
      ship()
    },
  }
}

/**
 * The context of one run over `legs` (the data of the operation: pass the same object to a second context to resume
 * it, as a gateway restarted would, with nothing remembered from the first run).
 */
/** The write check of `name`'s agent answers not writable, with `answer`; its other calls are as they were. */
function refuseWrites(ctx: RoleChangeContext, name: string, answer: { detail: string; code: string | null }) {
  const client = ctx.client
  ctx.client = (n) =>
    n === name ? { ...client(n), checkWrites: async () => ({ writable: false, ...answer, took_ms: 1 }) } : client(n)
}

function context(w: ReturnType<typeof world>, legs: Leg[] | { legs: Leg[]; undo?: Leg }, catchUpTimeoutMs = 300) {
  const data: { legs: Leg[]; undo?: Leg } = Array.isArray(legs) ? { legs } : legs
  // A clock that stands still: what a step reuses does not depend on how fast the machine runs the test.
  const recent = recentStatuses(() => 0)
  const clients = new Map<string, RoleChangeClient>()
  const client = (name: string) => {
    if (!clients.has(name)) clients.set(name, recent.track(name, w.client(name)))
    return clients.get(name) as RoleChangeClient
  }
  let epoch = 4
  let clock = Date.parse('2026-01-01T00:00:00.000Z')
  const roles: string[] = []
  const pairings: string[] = []
  const warnings: string[] = []
  const legOf = (k: LegKey) => (k === 'undo' ? data.undo : data.legs[k])
  const ctx: RoleChangeContext = {
    operationId: 'op-1',
    hasLeg: (k) => legOf(k) !== undefined,
    leg: (k) => legOf(k) as Leg,
    async saveLeg(k, patch) {
      if (k === 'undo') data.undo = { ...(data.undo as Leg), ...patch }
      else data.legs[k] = { ...(data.legs[k] as Leg), ...patch }
    },
    warn: async (text) => {
      warnings.push(text)
    },
    client,
    recentStatus: async (name, signal) => recent.get(name) ?? client(name).status(signal),
    async bumpEpoch(before) {
      const taken = ++epoch
      if (before !== undefined) await ctx.saveLeg(before.leg, before.patch)
      return taken
    },
    setRole: async (cluster, role) => {
      roles.push(`${cluster}=${role}`)
    },
    recordPairing: async (p) => {
      pairings.push(`${p.secondary}->${p.primary} as ${p.secondary_id}`)
    },
    drToken: async () => DR_TOKEN,
    renewDrToken: async () => ({ rotated: true, expires_at: '2026-01-01T08:00:00.000Z' }),
    signal: () => new AbortController().signal,
    now: () => (clock += 7),
    settings: { catchUpTimeoutMs, settleTimeoutMs: 300, pollMs: 5, activationTtl: '5m' },
    log: { info() {}, warn() {}, error() {}, debug() {} } as unknown as FastifyBaseLogger,
  }
  return { ctx, data, roles, pairings, warnings }
}

const threeClusterLeg = () =>
  newLeg('dc1', 'dc2', 'dc2', [
    { cluster: 'dc1', secondary_id: 'dc1' },
    { cluster: 'dc3', secondary_id: 'dc3' },
  ])

async function wholeLeg(ctx: RoleChangeContext, key: LegKey = 0) {
  await demotePrimary(ctx, key)
  await waitCatchUp(ctx, key)
  await promoteSecondary(ctx, key)
  await verifyNewPrimary(ctx, key)
  await followNewPrimary(ctx, key, 'dc1')
  await followNewPrimary(ctx, key, 'dc3')
  await verifyPairs(ctx, key)
  await newDrOperationToken(ctx, key)
}

describe('the role-change steps, on a fake world of three clusters', () => {
  it('switch dc1 -> dc2: demote, catch up, promote, writes, dc1 and dc3 follow dc2; each change once, each with a newer epoch', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    w.write('dc1')
    const { ctx, data, roles, pairings } = context(w, [threeClusterLeg()])
    await wholeLeg(ctx)
    expect(pairings).toEqual(['dc1->dc2 as dc1', 'dc3->dc2 as dc3'])
    expect(w.changes).toEqual([
      'demote dc1',
      'promote dc2',
      'mint dc1 on dc2',
      'update-primary dc1',
      'mint dc3 on dc2',
      'update-primary dc3',
    ])
    expect(w.epochs).toEqual([...w.epochs].sort((a, b) => a - b))
    expect(new Set(w.epochs).size).toBe(w.epochs.length)
    expect(roles).toEqual(['dc1=secondary', 'dc2=primary'])
    expect(w.get('dc2').mode).toBe('primary')
    expect(w.get('dc1')).toMatchObject({ mode: 'secondary', follows: 'dc2', secondaryId: 'dc1', wal: 11 })
    expect(w.get('dc3')).toMatchObject({ follows: 'dc2', secondaryId: 'dc3' })
    const leg = data.legs[0] as Leg
    expect(leg).toMatchObject({ last_wal_before_demote: 11, demoted_last_wal: 11, wals_lost: 0 })
    expect(leg.write_unavailable_ms).toBeGreaterThan(0)
    expect(leg.finished_at).not.toBeNull()
  })

  it('runs merkle-check on each cluster it re-pointed: a corrupted tree or a check that fails is a warning, not a failure', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    w.get('dc1').merkle = 'corrupted'
    w.get('dc3').merkle = 'error'
    const { ctx, warnings, pairings } = context(w, [threeClusterLeg()])
    await wholeLeg(ctx)
    expect(w.merkleChecks).toEqual(['dc1', 'dc3'])
    expect(pairings).toEqual(['dc1->dc2 as dc1', 'dc3->dc2 as dc3'])
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/^merkle-check on dc1 after its re-pointing: MERKLE_CORRUPTED: .*Reindex it\.$/)
    expect(warnings[1]).toMatch(/^merkle-check on dc3 after its re-pointing could not run: .*did not answer/)

    // A clean tree says nothing.
    const clean = world(['dc1', 'dc2', 'dc3'])
    const run = context(clean, [threeClusterLeg()])
    await wholeLeg(run.ctx)
    expect(clean.merkleChecks).toEqual(['dc1', 'dc3'])
    expect(run.warnings).toEqual([])
  })

  it('re-run after a crash, every step finds out what was done and does nothing twice', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx, data } = context(w, [threeClusterLeg()])
    await wholeLeg(ctx)
    const before = [...w.changes]
    await wholeLeg(context(w, data).ctx)
    expect(w.changes).toEqual(before)
  })

  it('a step reuses the statuses the step before it just read, and reads anew once a change was sent', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx } = context(w, [threeClusterLeg()])
    const reads = () => ({ dc1: w.reads.get('dc1') ?? 0, dc2: w.reads.get('dc2') ?? 0 })
    // The demote decides on dc1 as the preflight just read it.
    await ctx.client('dc1').status(new AbortController().signal)
    await demotePrimary(ctx, 0)
    expect(reads().dc1).toBe(1)
    await waitCatchUp(ctx, 0)
    const caughtUp = reads()
    // The promote decides on dc2 as the catch-up just saw it, and reads the old primary dc1 now.
    await promoteSecondary(ctx, 0)
    expect(reads()).toEqual({ dc1: caughtUp.dc1 + 1, dc2: caughtUp.dc2 })
    // verify_new_primary starts from the status the promote answered with (its write check asks the agent).
    await verifyNewPrimary(ctx, 0)
    expect(reads()).toEqual({ dc1: caughtUp.dc1 + 1, dc2: caughtUp.dc2 })
    // The re-pointing of dc1 first looks at dc2 as verify saw it and at dc1 now (the promote was a change since the
    // promote step read dc1); its polls after update-primary read both.
    await followNewPrimary(ctx, 0, 'dc1')
    const after = reads()
    expect(after.dc1 - (caughtUp.dc1 + 1)).toBe(after.dc2 - caughtUp.dc2 + 1)
    // verify_pairs reads the primary now; each follower as its own re-pointing just saw it, unless a change came
    // after (dc1's view was forgotten by dc3's re-pointing).
    await followNewPrimary(ctx, 0, 'dc3')
    const followed = { ...reads(), dc3: w.reads.get('dc3') ?? 0 }
    await verifyPairs(ctx, 0)
    expect({ ...reads(), dc3: w.reads.get('dc3') ?? 0 }).toEqual({
      dc1: followed.dc1 + 1,
      dc2: followed.dc2 + 1,
      dc3: followed.dc3,
    })
    // A change sent through the run forgets what was kept: the next check reads anew and sees what it did.
    await ctx.client('dc2').revoke('dc3')
    await expect(verifyPairs(ctx, 0)).rejects.toThrow(/dc3: needs_token/)
  })

  it("verify_pairs looks again when the new primary's status cannot be read once (the agent's retries spent)", async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx } = context(w, [threeClusterLeg()])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    await followNewPrimary(ctx, 0, 'dc1')
    await followNewPrimary(ctx, 0, 'dc3')
    const primary = ctx.client('dc2')
    let failed = 0
    const flaky: RoleChangeClient = {
      ...primary,
      status: (signal, opts) =>
        failed++ === 0
          ? Promise.reject(new Error('agent of cluster dc2 could not be reached'))
          : primary.status(signal, opts),
    }
    const done = await verifyPairs({ ...ctx, client: (name) => (name === 'dc2' ? flaky : ctx.client(name)) }, 0)
    expect(done.status).toBe('succeeded')
    expect(failed).toBe(2)
  })

  it('a demote that reached Vault before the gateway died is found done; one never sent is refused on a secondary', async () => {
    const w = world(['dc1', 'dc2'])
    const leg = newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])
    const { ctx } = context(w, [{ ...leg, replication_cluster_id: 'set-1' }])
    await w.client('dc1').demote({}, { epoch: 1 })
    await expect(demotePrimary(ctx, 0)).rejects.toMatchObject({ code: 'GATEWAY_ERR_SWITCHOVER_UNEXPECTED_ROLE' })
    await ctx.saveLeg(0, { demote_sent_at: '2026-01-01T00:00:00.000Z' })
    const done = await demotePrimary(ctx, 0)
    expect(done.detail).toContain('already is a DR secondary')
    expect(w.changes).toEqual(['demote dc1'])
  })

  it('never promotes while the old primary is a primary again (two primaries)', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    w.get('dc1').mode = 'primary'
    await expect(promoteSecondary(ctx, 0)).rejects.toThrow(/two primaries/)
    expect(w.get('dc2').mode).toBe('secondary')
  })

  it('decides nothing on a cluster that gives no DR status: each role step is to be run again, and acts once it answers', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    const passing = async (step: Promise<unknown>, cluster: string) => {
      const err = await step.catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'GATEWAY_ERR_SWITCHOVER_STATUS_UNREADABLE' })
      expect((err as Error).message).toContain(`${cluster} gave no DR status`)
      expect(isUnfinished(err)).toBe(true)
    }
    w.get('dc1').noDrStatus = true
    await passing(demotePrimary(ctx, 0), 'dc1')
    w.get('dc1').noDrStatus = false
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    // An agent restarted while its Vault still settles, seen by the step run again (a context of its own): not
    // taken for a cluster in another role.
    w.get('dc2').noDrStatus = true
    await passing(promoteSecondary(context(w, data).ctx, 0), 'dc2')
    expect(w.changes).toEqual(['demote dc1'])
    w.get('dc2').noDrStatus = false
    await promoteSecondary(ctx, 0)
    await verifyNewPrimary(ctx, 0)
    w.get('dc1').noDrStatus = true
    await passing(followNewPrimary(ctx, 0, 'dc1'), 'dc1')
    w.get('dc1').noDrStatus = false
    await followNewPrimary(ctx, 0, 'dc1')
    expect(w.changes).toEqual(['demote dc1', 'promote dc2', 'mint dc1 on dc2', 'update-primary dc1'])
  })

  it('fails at once on a sealed cluster (it does not unseal by itself), and an undo decides nothing without a DR mode', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    w.get('dc2').sealed = true
    const err = await promoteSecondary(context(w, data).ctx, 0).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_SWITCHOVER_STATUS_UNREADABLE' })
    expect((err as Error).message).toContain('its Vault is sealed')
    expect(isUnfinished(err)).toBe(false)
    // The undo's first look at dc1 (did the demote land?) waits for a DR mode too.
    w.get('dc1').noDrStatus = true
    const undo = await undoDemote(context(w, data).ctx, 0).catch((e: unknown) => e)
    expect(isUnfinished(undo)).toBe(true)
    expect(data.undo).toBeUndefined()
    w.get('dc1').noDrStatus = false
    w.get('dc2').sealed = false
    expect((await undoDemote(context(w, data).ctx, 0)).note).toContain('dc1 was promoted back')
  })

  it('a secondary that never catches up: bounded wait, clear failure, then dc1 promoted back and dc2, dc3 follow it again', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx, data } = context(w, [threeClusterLeg()], 100)
    w.get('dc2').receiving = false
    w.write('dc1')
    w.write('dc1')
    await demotePrimary(ctx, 0)
    const err = await waitCatchUp(ctx, 0).catch((e: CodedError) => e)
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT' })
    expect((err as Error).message).toContain('2 behind')
    w.get('dc2').receiving = true
    const undone = await undoDemote(ctx, 0)
    expect(undone.note).toContain('dc1 was promoted back')
    expect(undone.fix).toBeUndefined()
    expect(w.get('dc1').mode).toBe('primary')
    expect(w.get('dc2')).toMatchObject({ mode: 'secondary', follows: 'dc1', secondaryId: 'dc2', wal: 12 })
    expect(w.get('dc3')).toMatchObject({ follows: 'dc1', secondaryId: 'dc3' })
    expect(data.undo?.promote_sent_at).not.toBeNull()
    // Undone again (a resumed compensation): nothing is done twice.
    const changes = [...w.changes]
    await undoDemote(ctx, 0)
    expect(w.changes).toEqual(changes)
  })

  it('an undo that promoted the old primary back but could not re-point the other says so, and names the rejoin', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    w.get('dc2').sealed = true
    const undone = await undoDemote(ctx, 0)
    expect(undone.note).toContain(
      'undone in part: dc1 was promoted back and accepts writes (it holds everything it wrote: nothing lost), but re-pointing dc2 to it failed',
    )
    expect(undone.fix).toContain('dc1 is the DR primary again')
    expect(undone.fix).toContain('vault-dr rejoin dc2')
    expect(undone.fix).not.toContain('promote dc1 back')
    expect(w.get('dc1').mode).toBe('primary')
    expect(data.undo?.writes_accepted_at).not.toBeNull()
  })

  it('an undo whose promote back landed but whose write check failed says so, with what to read, not that it was undone', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    refuseWrites(ctx, 'dc1', { detail: 'Vault refused the write', code: null })
    const failed = await undoDemote(ctx, 0)
    expect(data.undo?.promoted_at).not.toBeNull()
    expect(failed.note).toContain('undoing it did not finish')
    expect(failed.note).toContain('dc1 was promoted back at')
    expect(failed.note).not.toContain('undone in part')
    expect(failed.fix).toContain('Read sys/replication/dr/status on dc1')
  })

  it('an undo that cannot promote says how to mend by hand; nothing to undo before the demote or after the promote', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    expect((await undoDemote(ctx, 0)).note).toContain('nothing was changed')
    await demotePrimary(ctx, 0)
    ctx.drToken = async () => 'hvb.a-token-vault-refuses'
    const failed = await undoDemote(ctx, 0)
    expect(failed.note).toContain('AGENT_ERR_DR_OPERATION_TOKEN_REJECTED')
    expect(failed.fix).toContain('promote dc1 back')
    // A promote sent that got no answer: dc2 is still a secondary, and the promote may yet land. Not undone.
    await ctx.saveLeg(0, { promote_sent_at: '2026-01-01T00:00:01.000Z' })
    const pending = await undoDemote(ctx, 0)
    expect(pending.note).toContain('the promote of dc2 was sent and not refused, and dc2 is in DR mode secondary now')
    expect(pending.fix).toContain('Read sys/replication/dr/status on dc2')
    expect(w.get('dc1').mode).toBe('secondary')
    // It landed: dc2 is the new primary, kept.
    await w.client('dc2').promote({ dr_operation_token: DR_TOKEN }, { epoch: 99 })
    expect((await undoDemote(ctx, 0)).note).toContain('dc2 is the DR primary now')
    // Seen running as primary by this operation, then demoted from outside (its agent's fence): said as it is.
    await ctx.saveLeg(0, { promoted_at: '2026-01-01T00:00:02.000Z' })
    await w.client('dc2').demote({}, { epoch: 100 })
    const demotedSince = await undoDemote(ctx, 0)
    expect(demotedSince.note).toContain(
      'dc2 was promoted by this operation at 2026-01-01T00:00:02.000Z, but it is in DR mode secondary now',
    )
    expect(demotedSince.note).not.toContain('dc2 is the DR primary now')
    expect(demotedSince.fix).toContain('promote dc2 again')
  })

  it('an undo that cannot read whether the demote took effect says the old primary may be demoted, not that it is', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    w.get('dc1').sealed = true
    const failed = await undoDemote(ctx, 0)
    expect(failed.note).toContain('undoing it failed too')
    expect(failed.fix).toContain('dc1 may be a demoted DR secondary')
    expect(failed.fix).not.toContain('dc1 is a demoted DR secondary')
  })

  it("an undo whose promote back the agent answers busy (the demote's settling still under way) is left to be run again", async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    const busy = new CodedError({ code: 'GATEWAY_ERR_AGENT_REJECTED', status: 502, title: 'busy' }, 'busy', {
      upstream: { service: 'agent', status: 409, code: 'AGENT_ERR_OPERATION_IN_FLIGHT' },
    })
    let refusals = 1
    const client = ctx.client
    ctx.client = (name) =>
      name === 'dc1'
        ? {
            ...client(name),
            promote: (body, opts) => (refusals-- > 0 ? Promise.reject(busy) : client(name).promote(body, opts)),
          }
        : client(name)
    // Thrown for the engine to run the undo again (not turned into a failure to mend by hand), then undone.
    await expect(undoDemote(ctx, 0)).rejects.toBe(busy)
    expect(w.get('dc1').mode).toBe('secondary')
    const undone = await undoDemote(ctx, 0)
    expect(undone.note).toContain('dc1 was promoted back')
    expect(w.get('dc1').mode).toBe('primary')
  })

  it('a promote that got no answer stays on record as sent: not undone, said to be maybe pending', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    const client = ctx.client
    const silent = new CodedError({ code: 'GATEWAY_ERR_AGENT_TIMEOUT', status: 504, title: 'no answer' }, 'no answer')
    ctx.client = (name) => (name === 'dc2' ? { ...client(name), promote: () => Promise.reject(silent) } : client(name))
    await expect(promoteSecondary(ctx, 0)).rejects.toBe(silent)
    expect(data.legs[0]?.promote_sent_at).not.toBeNull()
    ctx.client = client
    const undone = await undoDemote(ctx, 0)
    expect(undone.note).toContain('still take effect')
    expect(w.get('dc1').mode).toBe('secondary')
  })

  it("a refused promote resumed after an earlier run's send keeps that send on record: not undone", async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    // An earlier run sent the promote and died; it has not landed (dc2 still a secondary).
    await ctx.saveLeg(0, { promote_sent_at: '2026-01-01T00:00:05.000Z' })
    const resumed = context(w, data).ctx
    resumed.drToken = async () => 'hvb.a-token-vault-refuses'
    await expect(promoteSecondary(resumed, 0)).rejects.toMatchObject({ code: 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED' })
    expect(data.legs[0]?.promote_sent_at).toBe('2026-01-01T00:00:05.000Z')
    expect((await undoDemote(resumed, 0)).note).toContain('still take effect')
    expect(w.get('dc1').mode).toBe('secondary')
  })

  it('a promote the agent answers busy was not sent: off the record, so an undo may promote the old primary back', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    const busy = new CodedError({ code: 'GATEWAY_ERR_AGENT_REJECTED', status: 502, title: 'busy' }, 'busy', {
      upstream: { service: 'agent', status: 409, code: 'AGENT_ERR_OPERATION_IN_FLIGHT' },
    })
    const client = ctx.client
    ctx.client = (name) => (name === 'dc2' ? { ...client(name), promote: () => Promise.reject(busy) } : client(name))
    await expect(promoteSecondary(ctx, 0)).rejects.toBe(busy)
    expect(data.legs[0]?.promote_sent_at).toBeNull()
  })

  it('a promote run again while the one sent earlier lands (refused: no DR secondary now) finds that one took effect', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    // The earlier attempt's promote got no answer; it lands between this attempt's read of dc2 and its own promote.
    await ctx.saveLeg(0, { promote_sent_at: '2026-01-01T00:00:05.000Z' })
    const client = ctx.client
    ctx.client = (name) =>
      name === 'dc2'
        ? {
            ...client(name),
            promote: async (body, opts) => {
              await w.client('dc2').promote(body, { epoch: 5 })
              return w.client('dc2').promote(body, opts)
            },
          }
        : client(name)
    const done = await promoteSecondary(ctx, 0)
    expect(done.detail).toBe('dc2 already is the DR primary: the promote sent earlier took effect')
    expect(data.legs[0]?.promote_sent_at).toBe('2026-01-01T00:00:05.000Z')
    expect(data.legs[0]?.promoted_at).not.toBeNull()
    expect(w.changes.filter((c) => c.startsWith('promote'))).toEqual(['promote dc2'])
  })

  it('a promote run again that Vault itself refuses while the one sent earlier lands (the agent guarded on a status a moment old) finds that one took effect', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await ctx.saveLeg(0, { promote_sent_at: '2026-01-01T00:00:05.000Z' })
    const client = ctx.client
    ctx.client = (name) =>
      name === 'dc2'
        ? {
            ...client(name),
            promote: async (body) => {
              await w.client('dc2').promote(body, { epoch: 5 })
              throw new CodedError({ code: 'VAULT_ERR_REJECTED', status: 400, title: 'rejected' }, 'not a DR secondary')
            },
          }
        : client(name)
    const done = await promoteSecondary(ctx, 0)
    expect(done.detail).toBe('dc2 already is the DR primary: the promote sent earlier took effect')
    expect(data.legs[0]?.promoted_at).not.toBeNull()
    expect(w.changes.filter((c) => c.startsWith('promote'))).toEqual(['promote dc2'])
  })

  it('a promote the agent refused (its code as the gateway keeps it): dc1 is promoted back, not reported as replaced', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    const client = ctx.client
    const rejected = new CodedError({ code: 'GATEWAY_ERR_AGENT_REJECTED', status: 502, title: 'refused' }, 'refused', {
      upstream: { service: 'agent', status: 403, code: 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED' },
    })
    ctx.client = (name) =>
      name === 'dc2' ? { ...client(name), promote: () => Promise.reject(rejected) } : client(name)
    await expect(promoteSecondary(ctx, 0)).rejects.toBe(rejected)
    ctx.client = client
    const undone = await undoDemote(ctx, 0)
    expect(undone.note).toContain('dc1 was promoted back')
    expect(w.get('dc1').mode).toBe('primary')
    expect(w.get('dc2')).toMatchObject({ mode: 'secondary', follows: 'dc1' })
  })

  it('a demote written as sent that never took effect (refused, or lost with the gateway): nothing to undo', async () => {
    const w = world(['dc1', 'dc2'])
    const leg = newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])
    const { ctx, data } = context(w, [{ ...leg, replication_cluster_id: 'set-1' }])
    await ctx.saveLeg(0, { demote_sent_at: '2026-01-01T00:00:00.000Z' })
    expect((await undoDemote(ctx, 0)).note).toContain('the demote did not take effect')
    expect(data.undo).toBeUndefined()
    expect(w.changes).toEqual([])
  })

  it('a follower that looks in sync with an id the new primary still lists from long ago is re-pointed anyway', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx, data } = context(w, [threeClusterLeg()])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    // dc2 lists dc3 from an earlier era while dc3 still follows the demoted dc1: not dc2's secondary yet. The gateway
    // restarted meanwhile (its run remembers nothing).
    w.get('dc2').known.add('dc3')
    w.get('dc3').shownState = 'stream-wals'
    const done = await followNewPrimary(context(w, data).ctx, 0, 'dc3')
    expect(done.detail).toContain('revoked first')
    expect(w.get('dc3')).toMatchObject({ follows: 'dc2', secondaryId: 'dc3' })
    expect(w.changes.slice(-3)).toEqual(['revoke dc3 on dc2', 'mint dc3 on dc2', 'update-primary dc3'])
  })

  it('a re-pointing written as sent that never reached Vault (the gateway died before the call) is sent again once the wait for it ends', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx, data } = context(w, [threeClusterLeg()])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    // The earlier run minted dc3's id and wrote the update-primary as sent, then died before sending it; dc3 still
    // shows the state it had with its lost primary (Vault can show stream-wals then: fact sheet P3).
    await w.client('dc2').mintToken({ secondary_id: 'dc3', ttl: '5m', secondary_public_key: 'pk-dc3' })
    await ctx.saveLeg(0, { repoint_sent: ['dc3'] })
    w.get('dc3').shownState = 'stream-wals'
    const resumed = context(w, data).ctx
    const done = followNewPrimary(resumed, 0, 'dc3')
    // Streaming shows once it was really re-pointed (the state shown no longer pinned).
    const unpin = setInterval(() => {
      if (w.get('dc3').follows === 'dc2') delete w.get('dc3').shownState
    }, 2)
    try {
      expect((await done).detail).toContain('sent again')
    } finally {
      clearInterval(unpin)
    }
    expect(w.get('dc3')).toMatchObject({ follows: 'dc2', secondaryId: 'dc3' })
    expect(w.changes.slice(-3)).toEqual(['revoke dc3 on dc2', 'mint dc3 on dc2', 'update-primary dc3'])
  })

  it("a new primary that refuses its agent's Vault token at the write check says to give the agent a token made on the primary", async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    refuseWrites(ctx, 'dc2', {
      detail: 'Vault refused the write: permission denied',
      code: 'VAULT_ERR_PERMISSION_DENIED',
    })
    const err = await verifyNewPrimary(ctx, 0).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'GATEWAY_ERR_SWITCHOVER_NEW_PRIMARY_NOT_WRITABLE',
      message: expect.stringContaining('permission denied'),
      fix: expect.stringContaining('a token made on the primary'),
    })
  })

  it('a re-pointing written as sent whose follower is still syncing at the deadline is not sent again (the sync would be cut off)', async () => {
    const w = world(['dc1', 'dc2', 'dc3'])
    const { ctx, data } = context(w, [threeClusterLeg()])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    await w.client('dc2').mintToken({ secondary_id: 'dc3', ttl: '5m', secondary_public_key: 'pk-dc3' })
    await ctx.saveLeg(0, { repoint_sent: ['dc3'] })
    // The update-primary reached Vault: dc3 syncs (a long merkle-sync), not yet streaming at the settle deadline.
    w.get('dc3').shownState = 'merkle-sync'
    const changes = w.changes.length
    await expect(followNewPrimary(context(w, data).ctx, 0, 'dc3')).rejects.toMatchObject({
      code: 'GATEWAY_ERR_SWITCHOVER_FOLLOWER_NOT_STREAMING',
    })
    expect(w.changes.slice(changes)).toEqual([])
  })

  it('a follower whose id was minted by an earlier attempt is revoked and minted again', async () => {
    const w = world(['dc1', 'dc2'])
    const { ctx, data } = context(w, [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])])
    await demotePrimary(ctx, 0)
    await waitCatchUp(ctx, 0)
    await promoteSecondary(ctx, 0)
    // An earlier run minted dc1's id, then the gateway stopped before update-primary.
    await w.client('dc2').mintToken({ secondary_id: 'dc1', ttl: '5m', secondary_public_key: 'pk-dc1' })
    const done = await followNewPrimary(context(w, data).ctx, 0, 'dc1')
    expect(done.detail).toContain('revoked first')
    expect(w.changes.slice(-3)).toEqual(['revoke dc1 on dc2', 'mint dc1 on dc2', 'update-primary dc1'])
    expect(w.get('dc1')).toMatchObject({ follows: 'dc2', secondaryId: 'dc1' })
  })
})
