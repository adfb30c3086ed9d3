import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'
import { followerItems } from './follower-items.ts'

const pair = { primary: 'dc1', secondary: 'dc2', versions: { primary: '1.19.2+ent', secondary: '1.20.0+ent' } } as Pair
const on = (version: string) =>
  ({
    vault: { reachable: true, sealed: false, version },
    replication: { mode: 'secondary' },
  }) as unknown as ClusterStatus

describe('the failover plan item of each other DR secondary', () => {
  it('refuses a follower older than the new primary before anything changes, and says how to go on', () => {
    const [older] = followerItems(pair, [{ name: 'dc3', status: on('1.19.2+ent') }])
    expect(older).toMatchObject({ name: 'follower:dc3', status: 'fail', code: 'VERSION_SKEW' })
    expect(older?.detail).toContain("dc3 runs Vault 1.19.2+ent, older than dc2's 1.20.0+ent")
    expect(older?.fix).toContain('Upgrade dc3 to 1.20.0+ent or newer first')
    expect(older?.fix).toContain('DELETE /v1/clusters/dc3')
  })

  it('passes a follower as new as the new primary or newer', () => {
    const items = followerItems(pair, [
      { name: 'dc3', status: on('1.20.0+ent') },
      { name: 'dc4', status: on('1.21.0+ent') },
    ])
    expect(items.map((i) => [i.name, i.status])).toEqual([
      ['follower:dc3', 'pass'],
      ['follower:dc4', 'pass'],
    ])
    expect(items[0]?.detail).toBe('dc3 will follow dc2 (update-primary, no wipe)')
  })

  it('warns of a follower that gave no status (it may be on the lost site), naming the rejoin that re-points it later', () => {
    const [gone] = followerItems(pair, [{ name: 'dc3', status: undefined }])
    expect(gone).toMatchObject({ name: 'follower:dc3', status: 'warn', code: 'UNREACHABLE' })
    expect(gone?.fix).toContain('vault-dr rejoin dc3')
    const unread = (vault: object, replication: object | null = { mode: 'secondary' }) =>
      followerItems(pair, [{ name: 'dc3', status: { vault, replication } as unknown as ClusterStatus }])[0]
    expect(unread({ reachable: false, sealed: null, version: null })?.detail).toContain(
      'dc3 has an agent that cannot reach its Vault',
    )
    expect(unread({ reachable: true, sealed: true, version: '1.20.0+ent' })?.detail).toContain('dc3 is sealed')
    expect(unread({ reachable: true, sealed: false, version: '1.20.0+ent' }, null)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('dc3 gave no DR status'),
    })
  })

  it('passes when a version cannot be read (no claim either way) and says so when there is no follower', () => {
    expect(
      followerItems({ ...pair, versions: { primary: null, secondary: null } }, [
        { name: 'dc3', status: on('1.19.2+ent') },
      ])[0]?.status,
    ).toBe('pass')
    expect(followerItems(pair, [])).toEqual([
      {
        name: 'followers',
        status: 'pass',
        code: 'OK',
        detail: 'dc1 has no other DR secondary vault-dr knows of',
        fix: null,
      },
    ])
  })
})
