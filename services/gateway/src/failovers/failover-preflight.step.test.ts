import { describe, expect, it } from 'vitest'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { failoverPreflight } from './failover-preflight.step.ts'
import type { FailoverPlan } from './failovers.schemas.ts'

const subject = { from: 'dc1', to: 'dc2', down_for: '1s', allow_data_loss: false }
const loss = { wals: 0, primary_last_wal: 40, secondary_last_remote_wal: 40, comparison_age_s: 1, detail: 'nil' }

const planWith = (code: string | null): FailoverPlan =>
  ({
    primary: 'dc1',
    allowed: code === null,
    refusal: code === null ? null : { code, detail: `${code} detail`, fix: null },
    primary_verdict: code === null ? 'down' : code === 'PRIMARY_HEALTHY' ? 'healthy' : 'suspect',
    vantage_points: [],
    data_loss: loss,
    dr_operation_token: { source: 'kept' },
    old_primary_fence: { by: 'unknown', fence_on_isolation_ms: null, within_ms: null, seen_at: null },
    items: [{ detail: 'unreachable from 2 vantage points' }],
  }) as unknown as FailoverPlan

/** A preflight's run: the failover created `ageMs` ago with its request's plan kept, and the planner's answers. */
function setup(ageMs: number, answers: string[]) {
  const now = 1_000_000
  let asked = 0
  const legs: unknown[] = []
  const deps = {
    now: () => now,
    planner: async () => {
      const answer = answers[Math.min(asked++, answers.length - 1)] as string
      return planWith(answer === 'down' ? null : answer)
    },
  } as unknown as FailoverDeps
  const r = {
    data: () => ({
      plan: { primary_verdict: 'down', vantage_points: [], data_loss: loss, dr_operation_token_source: 'kept' },
    }),
    saveData: async () => {},
    roles: { saveLeg: async (_: number, patch: unknown) => void legs.push(patch) },
    run: {
      record: () => ({ created_at: new Date(now - ageMs).toISOString() }),
      signal: () => new AbortController().signal,
    },
  } as unknown as RoleChangeRun
  return { deps, r, legs, asked: () => asked }
}

describe('the failover preflight', () => {
  it("takes the request's plan when it was made an instant ago", async () => {
    const { deps, r, legs, asked } = setup(100, ['PRIMARY_HEALTHY'])
    const result = await failoverPreflight(deps, r, subject)
    expect(result.status).toBe('succeeded')
    expect(asked()).toBe(0)
    expect(legs).toEqual([{ last_wal_before_demote: 40, secondary_last_remote_wal: 40, wals_lost: 0 }])
  })

  it('judges again later, and waits while the primary is not yet down for down_for by this gateway (a restart)', async () => {
    const { deps, r, asked } = setup(60_000, ['PRIMARY_NOT_DOWN', 'PRIMARY_NOT_DOWN', 'down'])
    const result = await failoverPreflight(deps, r, subject)
    expect(result.status).toBe('succeeded')
    expect(asked()).toBe(3)
  })

  it('refuses at once a primary seen healthy again', async () => {
    const { deps, r, asked } = setup(60_000, ['PRIMARY_HEALTHY'])
    await expect(failoverPreflight(deps, r, subject)).rejects.toMatchObject({
      error: { code: 'GATEWAY_ERR_FAILOVER_REFUSED' },
    })
    expect(asked()).toBe(1)
  })
})
