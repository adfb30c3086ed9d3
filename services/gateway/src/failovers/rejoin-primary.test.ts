import { describe, expect, it } from 'vitest'
import type { FailoverDeps } from './failover-deps.ts'
import { fenceKey } from './fence-record.ts'
import { primaryNow } from './rejoin-primary.ts'

/** The registry (name → role), the pairings (secondary → primary) and the fences (cluster → new primary). */
function store(roles: Record<string, string>, pairs: Record<string, string>, fences: Record<string, string> = {}) {
  const fence = (cluster: string, new_primary: string) =>
    JSON.stringify({
      cluster,
      epoch: 1,
      failover_id: `f-${cluster}`,
      new_primary,
      fenced_at: '2026-12-07T10:00:00.000Z',
      demoted_at: null,
    })
  return {
    store: {
      pairedSecondaries: async () =>
        Object.entries(pairs).map(([secondary, primary]) => ({ secondary, primary, secondary_id: secondary })),
      getCluster: async (name: string) => (roles[name] === undefined ? undefined : { name, role: roles[name] }),
      getMeta: async (key: string) => {
        const found = Object.entries(fences).find(([c]) => fenceKey(c) === key)
        return found === undefined ? undefined : fence(found[0], found[1])
      },
    },
  } as unknown as Pick<FailoverDeps, 'store'>
}

describe('the primary a fenced old primary rejoins', () => {
  it('is the one its failover promoted while that one holds the role', async () => {
    const deps = store({ dc1: 'primary', dc2: 'primary', dc3: 'secondary' }, { dc3: 'dc2' }, { dc1: 'dc2' })
    expect(await primaryNow(deps, 'dc1', 'dc2')).toBe('dc2')
  })

  it('follows a switchover that moved the role on since (the registry and the pairs say so)', async () => {
    const deps = store({ dc1: 'primary', dc2: 'secondary', dc3: 'primary' }, { dc2: 'dc3' }, { dc1: 'dc2' })
    expect(await primaryNow(deps, 'dc1', 'dc2')).toBe('dc3')
  })

  it('follows a later failover that fenced the promoted one in turn', async () => {
    const deps = store({ dc1: 'primary', dc2: 'primary', dc3: 'primary' }, {}, { dc1: 'dc2', dc2: 'dc3' })
    expect(await primaryNow(deps, 'dc1', 'dc2')).toBe('dc3')
  })

  it('never leads back to the fenced cluster itself (a promote whose answer was lost recorded no new roles)', async () => {
    // dc2 still registered a secondary, paired with dc1 from the handshake: nothing newer than the failover's own.
    const deps = store({ dc1: 'primary', dc2: 'secondary' }, { dc2: 'dc1' }, { dc1: 'dc2' })
    expect(await primaryNow(deps, 'dc1', 'dc2')).toBe('dc2')
  })

  it('ends on a loop of pairings, with the one its failover promoted', async () => {
    const deps = store(
      { dc1: 'primary', dc2: 'secondary', dc3: 'secondary' },
      { dc2: 'dc3', dc3: 'dc2' },
      { dc1: 'dc2' },
    )
    expect(await primaryNow(deps, 'dc1', 'dc2')).toBe('dc2')
  })
})
