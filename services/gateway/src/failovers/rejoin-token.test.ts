import { describe, expect, it } from 'vitest'
import { newLeg } from '../role-changes/leg.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { issuedWhenExpired } from './rejoin-token.ts'

const leg = {
  ...newLeg('dc1', 'dc2', 'dc1', [{ cluster: 'dc1', secondary_id: 'dc1' }]),
  replication_cluster_id: 'set-1',
}

/**
 * A rejoin run whose custody keeps `kept` (undefined: nothing valid; an Error: what reading it throws) until the
 * primary issues one.
 */
function setup(kept: string | undefined | Error, issue: () => Promise<void> = async () => {}) {
  let token = kept
  const ensured: Array<[string, string | null]> = []
  const deps = {
    store: { getCluster: async (name: string) => ({ name }) },
    custody: {
      async ensure(primary: { name: string }, set: string | null) {
        ensured.push([primary.name, set])
        await issue()
        token = 'issued-now'
        return { token: { expires_at: '2026-12-07T12:00:00.000Z' }, rotated: 'expired' }
      },
    },
  } as unknown as Pick<FailoverDeps, 'store' | 'custody'>
  const r = {
    roles: {
      leg: () => leg,
      drToken: async () => {
        if (token instanceof Error) throw token
        if (token === undefined) throw SwitchoverErrors.noDrOperationToken('No DR operation token … is valid')
        return token
      },
    },
    run: { signal: () => new AbortController().signal },
  } as unknown as RoleChangeRun
  return { run: issuedWhenExpired(deps, r), ensured }
}

describe("a rejoin's DR operation token when a step sends it", () => {
  it('is the kept one while it is valid: nothing is issued', async () => {
    const { run, ensured } = setup('kept')
    expect(await run.roles.drToken()).toBe('kept')
    expect(ensured).toEqual([])
  })

  it('is issued by the primary it follows, of its replication set, once none kept is valid (a gateway down for hours)', async () => {
    const { run, ensured } = setup(undefined)
    expect(await run.roles.drToken()).toBe('issued-now')
    expect(ensured).toEqual([['dc2', 'set-1']])
  })

  it('fails as the issue failed when the primary cannot issue one', async () => {
    const { run } = setup(undefined, async () => {
      throw new Error('dc2 refused the token create')
    })
    await expect(run.roles.drToken()).rejects.toThrow('dc2 refused the token create')
  })

  it('passes any other failure on without issuing', async () => {
    const { run, ensured } = setup(new Error('the store key does not open it'))
    await expect(run.roles.drToken()).rejects.toThrow('store key')
    expect(ensured).toEqual([])
  })
})
