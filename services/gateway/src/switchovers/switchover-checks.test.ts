import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { type CheckInput, switchoverChecks } from './switchover-checks.ts'

function status(p: Partial<NonNullable<ClusterStatus['replication']>>, version = '1.21.0+ent'): ClusterStatus {
  return {
    vault: {
      reachable: true,
      address: 'http://127.0.0.1:8200',
      health_code: 200,
      initialized: true,
      sealed: false,
      version,
      enterprise: true,
      ha_role: 'active',
      cluster_name: 'c',
      cluster_id: 'id',
      dr_mode: p.mode ?? 'primary',
      error: null,
    },
    replication: {
      mode: 'primary',
      state: 'running',
      cluster_id: 'set-1',
      merkle_root: 'root',
      last_wal: 100,
      known_secondaries: ['dc2'],
      secondaries: [],
      primary_cluster_addr: null,
      connection_state: null,
      primaries: [],
      known_primary_cluster_addrs: [],
      last_remote_wal: null,
      secondary_id: null,
      corrupted_merkle_tree: false,
      ...p,
    },
    checked_at: '2026-01-01T00:00:00.000Z',
  }
}

const secondary = (p: Partial<NonNullable<ClusterStatus['replication']>> = {}, version?: string) =>
  status(
    { mode: 'secondary', state: 'stream-wals', last_wal: null, last_remote_wal: 98, secondary_id: 'dc2', ...p },
    version,
  )

const healthy: CheckInput = {
  from: { name: 'dc1', status: status({}) },
  to: { name: 'dc2', status: secondary() },
  toSecondaryId: 'dc2',
  others: [],
  token: {
    issued_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2026-01-01T08:00:00.000Z',
    rotate_at: '2026-01-01T04:00:00.000Z',
    remaining_s: 20_000,
    previous_expires_at: null,
    primary_cluster_id: 'set-1',
  },
  neededS: 600,
  maxLagWals: 1000,
}
const byName = (input: CheckInput) => Object.fromEntries(switchoverChecks(input).map((c) => [c.name, c]))

describe('the checks before a switchover', () => {
  it('all pass for a running primary and its streaming secondary, close behind, same version, token long enough', () => {
    const checks = switchoverChecks(healthy)
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['from_primary', 'pass'],
      ['to_streams', 'pass'],
      ['lag', 'pass'],
      ['versions', 'pass'],
      ['dr_operation_token', 'pass'],
    ])
  })

  it('fail when `from` is not a running primary or cannot be read', () => {
    expect(byName({ ...healthy, from: { name: 'dc1', status: secondary() } }).from_primary?.code).toBe('NOT_DR_PRIMARY')
    expect(byName({ ...healthy, from: { name: 'dc1', error: 'AGENT_ERR: refused' } }).from_primary).toMatchObject({
      status: 'fail',
      code: 'UNREACHABLE',
    })
  })

  it('fail when `to` is of another replication set, not streaming, or unknown to the primary', () => {
    expect(
      byName({ ...healthy, to: { name: 'dc2', status: secondary({ cluster_id: 'set-2' }) } }).to_streams?.code,
    ).toBe('NOT_A_PAIR')
    expect(
      byName({ ...healthy, to: { name: 'dc2', status: secondary({ state: 'merkle-sync' }) } }).to_streams?.code,
    ).toBe('NOT_STREAMING')
    expect(byName({ ...healthy, toSecondaryId: 'other' }).to_streams?.code).toBe('NOT_STREAMING')
    // Vault can go on showing stream-wals for a primary it lost (P3): its connection says so.
    const lost = secondary({ connection_state: 'transient_failure' })
    expect(byName({ ...healthy, to: { name: 'dc2', status: lost } }).to_streams).toMatchObject({
      status: 'fail',
      code: 'NOT_STREAMING',
      detail: expect.stringContaining('connection_state transient_failure'),
    })
    const ready = secondary({ connection_state: 'ready' })
    expect(byName({ ...healthy, to: { name: 'dc2', status: ready } }).to_streams?.status).toBe('pass')
  })

  it('fail on a corrupted merkle tree, and on a newer `to` (the demoted primary could not follow it)', () => {
    const corrupted = { name: 'dc2', status: secondary({ corrupted_merkle_tree: true }) }
    expect(byName({ ...healthy, to: corrupted }).merkle_tree?.status).toBe('fail')
    const newer = byName({ ...healthy, to: { name: 'dc2', status: secondary({}, '1.22.1+ent') } }).versions
    expect(newer).toMatchObject({ status: 'fail', code: 'VERSION_SKEW' })
    const older = byName({ ...healthy, to: { name: 'dc2', status: secondary({}, '1.20.3+ent') } }).versions
    expect(older).toMatchObject({ status: 'warn', code: 'VERSION_SKEW' })
    // A drill switches back: an older `to` could not follow `from` on the way back, so it fails there.
    const drill = { ...healthy, to: { name: 'dc2', status: secondary({}, '1.20.3+ent') }, roundTrip: true }
    expect(byName(drill).versions).toMatchObject({
      status: 'fail',
      code: 'VERSION_SKEW',
      detail: expect.stringContaining('on the way back the demoted dc2 could not follow dc1'),
    })
    expect(byName({ ...healthy, roundTrip: true }).versions?.status).toBe('pass')
  })

  it('fail on another DR secondary older than `to` (re-pointed to it, it could not follow)', () => {
    const dc3 = (version: string) => ({ name: 'dc3', status: secondary({ secondary_id: 'dc3' }, version) })
    const newTo = { name: 'dc2', status: secondary({}, '1.21.2+ent') }
    const older = byName({ ...healthy, to: newTo, others: [dc3('1.21.1+ent')] })['follower:dc3']
    expect(older).toMatchObject({
      status: 'fail',
      code: 'VERSION_SKEW',
      fix: 'Upgrade dc3 to 1.21.2+ent or newer first.',
    })
    expect(byName({ ...healthy, others: [dc3('1.21.0+ent')] })['follower:dc3']?.status).toBe('pass')
  })

  it('say a sealed `from` is sealed, with how to unseal it, and do not claim `to` is of another set', () => {
    const sealed: ClusterStatus = {
      ...status({}),
      vault: { ...status({}).vault, sealed: true, ha_role: 'unknown' },
      replication: null,
    }
    const checks = byName({ ...healthy, from: { name: 'dc1', status: sealed } })
    expect(checks.from_primary).toMatchObject({
      status: 'fail',
      code: 'SEALED',
      detail: "dc1's Vault is sealed: it gives no DR status",
      fix: expect.stringContaining('Unseal dc1'),
    })
    expect(checks.to_streams).toMatchObject({ status: 'fail', code: 'UNKNOWN' })
    expect(checks.to_streams?.detail).not.toContain('replication set')
  })

  it('fail on a fenced `to`: its agent would demote it again once promoted, leaving no primary', () => {
    const fenced = byName({ ...healthy, toFenced: 'failed away from by failover f-1, not rejoined yet' }).to_fenced
    expect(fenced).toMatchObject({ status: 'fail', code: 'FENCED' })
    expect(fenced?.detail).toContain('failover f-1')
    expect(fenced?.fix).toContain('vault-dr rejoin dc2')
    expect(byName(healthy).to_fenced).toBeUndefined()
  })

  it('fail on a fenced `from`: a primary failed away from (back before its agent demoted it) is no primary to switch from', () => {
    const fenced = byName({ ...healthy, fromFenced: 'failed away from by failover f-2, not rejoined yet' }).from_fenced
    expect(fenced).toMatchObject({ status: 'fail', code: 'FENCED' })
    expect(fenced?.detail).toContain('failover f-2')
    expect(fenced?.fix).toContain('vault-dr rejoin dc1')
    expect(byName(healthy).from_fenced).toBeUndefined()
  })

  it('warn on lag and on a token too short; fail on a secondary of the set that cannot be read', () => {
    const lagging = { name: 'dc2', status: secondary({ last_remote_wal: 10 }) }
    expect(byName({ ...healthy, to: lagging, maxLagWals: 50 }).lag?.status).toBe('warn')
    expect(byName({ ...healthy, neededS: 30_000 }).dr_operation_token?.code).toBe('TOKEN_TOO_SHORT')
    expect(byName({ ...healthy, token: null }).dr_operation_token?.code).toBe('NO_TOKEN')
    const checks = byName({
      ...healthy,
      others: [
        { name: 'dc3', error: 'timeout' },
        { name: 'dc4', status: secondary() },
      ],
    })
    expect(checks['follower:dc3']?.status).toBe('fail')
    expect(checks['follower:dc4']?.status).toBe('pass')
  })

  it('warn about secondaries of `from` no registered cluster is paired as: they would not be re-pointed', () => {
    const warned = byName({ ...healthy, unknownSecondaries: ['by-hand'] }).unknown_secondaries
    expect(warned).toMatchObject({ status: 'warn', code: 'UNKNOWN_SECONDARIES' })
    expect(warned?.detail).toContain('by-hand')
    expect(byName(healthy).unknown_secondaries).toBeUndefined()
  })
})
