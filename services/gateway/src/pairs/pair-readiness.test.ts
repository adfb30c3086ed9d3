import { describe, expect, it } from 'vitest'
import { pairChecks } from './pair-readiness.ts'
import type { Pair, TokenCheckView } from './pairs.schemas.ts'

const side = (name: string, mode: string, state: string) => ({
  name,
  agent_reachable: true,
  error: null,
  vault_reachable: true,
  sealed: false,
  version: '1.21.0+ent',
  ha_role: 'active',
  mode,
  state,
  replication_cluster_id: 'set-a',
  checked_at: '2026-12-04T08:00:00.000Z',
})

const token = {
  issued_at: '2026-12-04T07:00:00.000Z',
  expires_at: '2026-12-04T15:00:00.000Z',
  rotate_at: '2026-12-04T11:00:00.000Z',
  remaining_s: 7 * 3600,
  previous_expires_at: null,
  primary_cluster_id: 'set-a',
}

const healthy: Pair = {
  secondary: 'dc2',
  primary: 'dc1',
  secondary_id: 'dc2',
  clusters: { primary: side('dc1', 'primary', 'running'), secondary: side('dc2', 'secondary', 'stream-wals') },
  connection_state: 'ready',
  primary_sees_secondary: 'connected',
  lag: { wals: 2, primary_last_wal: 12, secondary_last_remote_wal: 10, age_s: 0.1 },
  heartbeat_age_s: 1,
  merkle_corrupted: false,
  versions: { primary: '1.21.0+ent', secondary: '1.21.0+ent' },
  dr_operation_token: token,
  dr_ceremony_token: null,
  checked_at: '2026-12-04T08:00:00.000Z',
}
const valid: TokenCheckView = {
  outcome: 'valid',
  code: 'DR_TOKEN_VALID',
  detail: 'ok',
  fix: null,
  raft: { healthy: true, failure_tolerance: 1 },
}
const settings = { maxLagWals: 5, maxLagAgeS: 60, tokenMinRemainingS: 7200 }
const statusOf = (pair: Pair, check = valid) =>
  Object.fromEntries(pairChecks(pair, check, settings).map((c) => [c.name, `${c.status} ${c.code}`]))

describe('pair readiness checks', () => {
  it('all pass on a streaming pair with a valid token accepted by the secondary', () => {
    const checks = pairChecks(healthy, valid, settings)
    expect(checks.every((c) => c.status === 'pass' && c.fix === null)).toBe(true)
    expect(checks.map((c) => c.id)).toEqual(['P1', 'P2', 'P3', 'P4', 'P4', 'P5', 'P7', 'P7'])
  })

  it('P6 says whether the primary fences itself on isolation, once its agent said', () => {
    const withSetting = (ms: number | null) => ({
      ...healthy,
      clusters: { ...healthy.clusters, primary: { ...healthy.clusters.primary, fence_on_isolation_ms: ms } },
    })
    const on = pairChecks(withSetting(60_000), valid, settings).find((c) => c.id === 'P6')
    expect(on).toMatchObject({ status: 'pass', name: 'primary_self_fence', detail: expect.stringContaining('60 s') })
    const off = pairChecks(withSetting(null), valid, settings).find((c) => c.id === 'P6')
    expect(off).toMatchObject({
      status: 'warn',
      code: 'NO_SELF_FENCE',
      fix: expect.stringContaining('VAULT_DR_FENCE_ON_ISOLATION'),
    })
    // A warning: the pair stays ready.
    expect(pairChecks(withSetting(null), valid, settings).some((c) => c.status === 'fail')).toBe(false)
  })

  it('P5 warns before a disaster that a failover would be refused over an older DR secondary of the primary', () => {
    const p5 = (pair: Pair, followers: Array<{ name: string; version: string | null }>) =>
      pairChecks(pair, valid, settings, followers).find((c) => c.id === 'P5')
    expect(p5(healthy, [{ name: 'dc3', version: '1.21.0+ent' }])?.status).toBe('pass')
    expect(p5(healthy, [{ name: 'dc3', version: null }])?.status).toBe('pass')
    const older = p5(healthy, [{ name: 'dc3', version: '1.20.2+ent' }])
    expect(older).toMatchObject({ status: 'warn', code: 'VERSION_SKEW' })
    expect(older?.detail).toBe(
      "A failover to dc2 would be refused: dc3 runs 1.20.2+ent, older than dc2's 1.21.0+ent, and could not follow it.",
    )
    expect(older?.fix).toContain('Upgrade dc3 to 1.21.0+ent or newer')
    // Mid-upgrade: the secondary upgraded first, its primary and the other secondary not yet; both said.
    const upgrading = { ...healthy, versions: { primary: '1.20.2+ent', secondary: '1.21.0+ent' } }
    const both = p5(upgrading, [{ name: 'dc3', version: '1.20.2+ent' }])
    expect(both?.detail).toContain('The primary runs 1.20.2+ent, the secondary 1.21.0+ent.')
    expect(both?.detail).toContain('A failover to dc2 would be refused: dc3 runs 1.20.2+ent')
  })

  it('each turns with its own code, and every one that does not pass has a fix', () => {
    const cases: Array<[Partial<Pair>, string, string]> = [
      [{ merkle_corrupted: true }, 'merkle', 'fail MERKLE_CORRUPTED'],
      [{ merkle_corrupted: null }, 'merkle', 'warn MERKLE_NOT_REPORTED'],
      [{ lag: { ...healthy.lag, wals: 6 } }, 'lag', 'fail LAG_TOO_HIGH'],
      [{ lag: { ...healthy.lag, age_s: 120 } }, 'lag', 'warn LAG_STALE'],
      [{ versions: { primary: '1.21.0+ent', secondary: '1.22.0+ent' } }, 'versions', 'warn VERSION_SKEW'],
      [{ primary_sees_secondary: 'disconnected' }, 'connection', 'warn PRIMARY_SEES_DISCONNECTED'],
      [{ connection_state: 'transient_failure' }, 'connection', 'fail NOT_STREAMING'],
      [{ dr_operation_token: null }, 'dr_token', 'fail DR_TOKEN_MISSING'],
      [{ dr_operation_token: { ...token, primary_cluster_id: 'set-b' } }, 'dr_token', 'fail DR_TOKEN_OTHER_PRIMARY'],
      [{ dr_operation_token: { ...token, remaining_s: 600 } }, 'dr_token', 'warn DR_TOKEN_EXPIRING'],
    ]
    for (const [change, name, expected] of cases) {
      const pair = { ...healthy, ...change }
      expect(statusOf(pair)[name], name).toBe(expected)
      expect(
        pairChecks(pair, valid, settings)
          .filter((c) => c.status !== 'pass')
          .every((c) => c.fix),
      ).toBe(true)
    }
    const refused: TokenCheckView = {
      outcome: 'invalid',
      code: 'DR_TOKEN_REJECTED',
      detail: 'no',
      fix: 'rotate',
      raft: null,
    }
    expect(statusOf(healthy, refused).dr_token_on_secondary).toBe('fail DR_TOKEN_REJECTED')
    const unhealthy = { ...valid, raft: { healthy: false, failure_tolerance: 0 } }
    expect(statusOf(healthy, unhealthy).secondary_raft).toBe('fail RAFT_UNHEALTHY')
    expect(pairChecks(healthy, unhealthy, settings).find((c) => c.name === 'secondary_raft')?.fix).toMatch(/raft/)
  })

  it("checks the DR site's raft only when the token check saw autopilot state", () => {
    expect(statusOf(healthy).secondary_raft).toBe('pass OK')
    expect(statusOf(healthy, { ...valid, raft: null }).secondary_raft).toBeUndefined()
  })
})
