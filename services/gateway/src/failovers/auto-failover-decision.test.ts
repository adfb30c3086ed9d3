import { describe, expect, it } from 'vitest'
import { type AutoFailoverInputs, decideAutoFailover } from './auto-failover-decision.ts'

const NOW = Date.parse('2026-12-05T03:00:00Z')
const ago = (s: number) => new Date(NOW - s * 1000).toISOString()
type Views = AutoFailoverInputs['plan']['vantage_points']

function view(point: Views[number]['point'], reaches: boolean | null, sinceS: number): Views[number] {
  return { point, reaches, since: ago(sinceS), detail: '' }
}

const lost: Views = [
  view('gateway', false, 90),
  view('primary_agent', null, 90),
  view('secondary_agent', false, 80),
  view('secondary_vault', false, 85),
]

/** dc1's agent demotes it itself when cut off for 60 s; the plan has waited for it. */
type Fence = AutoFailoverInputs['plan']['old_primary_fence']
const fenceOf = (by: Fence['by'], over: Partial<Fence> = {}): Fence => ({
  by,
  fence_on_isolation_ms: null,
  within_ms: null,
  seen_at: ago(600),
  followers_unknown: [],
  ...over,
})
const SELF = fenceOf('self', { fence_on_isolation_ms: 60_000, within_ms: 75_000 })

function input(over: Partial<AutoFailoverInputs> = {}, views: Views = lost): AutoFailoverInputs {
  return {
    plan: { allowed: true, refusal: null, primary_verdict: 'down', vantage_points: views, old_primary_fence: SELF },
    downForMs: 60_000,
    now: NOW,
    lastFailoverAt: null,
    blockMs: 3_600_000,
    ...over,
  }
}

describe('decideAutoFailover', () => {
  it('fires when the plan allows it and three points outside the site lost the primary for down_for', () => {
    const d = decideAutoFailover(input())
    expect(d.fire).toBe(true)
    expect(d.reason).toContain('gateway (90 s)')
  })

  it('fires with two of the three outside points when the third cannot tell', () => {
    const views = [view('gateway', false, 90), view('secondary_agent', null, 90), view('secondary_vault', false, 61)]
    expect(decideAutoFailover(input({}, views)).fire).toBe(true)
  })

  it('holds when nothing would fence a primary that is only cut off: its agent seen without self-fencing, or never', () => {
    const off = fenceOf('none')
    const d = decideAutoFailover(input({ plan: { ...input().plan, old_primary_fence: off } }))
    expect(d).toMatchObject({ fire: false, code: 'no_self_fence' })
    expect(d.reason).toContain(`its agent was last seen (${ago(600)}) with self-fencing off`)
    expect(d.reason).toContain('vault-dr failover')
    const unknown = fenceOf('unknown', { seen_at: null })
    expect(decideAutoFailover(input({ plan: { ...input().plan, old_primary_fence: unknown } }))).toMatchObject({
      fire: false,
      code: 'no_self_fence',
    })
    // Its agent answers the gateway (its Vault sealed or gone): the gateway fences it, the failover may go on.
    const gateway = fenceOf('gateway', { seen_at: ago(1) })
    expect(decideAutoFailover(input({ plan: { ...input().plan, old_primary_fence: gateway } })).fire).toBe(true)
    // Self-fencing, but another DR secondary of it gave no status: one streaming from it would keep its agent from it.
    const blind = { ...SELF, followers_unknown: ['dc3'] }
    const held = decideAutoFailover(input({ plan: { ...input().plan, old_primary_fence: blind } }))
    expect(held).toMatchObject({
      fire: false,
      code: 'no_self_fence',
      reason: expect.stringContaining('dc3 gave no status'),
    })
  })

  it('holds while only one outside point has been down for down_for', () => {
    const views = [view('gateway', false, 90), view('secondary_agent', false, 30), view('secondary_vault', null, 90)]
    const d = decideAutoFailover(input({}, views))
    expect(d).toMatchObject({ fire: false, code: 'no_outside_quorum' })
    expect(d.reason).toContain('secondary_agent (30 s)')
  })

  it("does not count the primary agent's own word: sealed per its agent, the DR site still reaching it", () => {
    const views = [
      view('gateway', true, 300),
      { ...view('primary_agent', false, 300), detail: 'the primary agent reports its Vault sealed' },
      view('secondary_agent', true, 300),
      view('secondary_vault', false, 300),
    ]
    expect(decideAutoFailover(input({}, views))).toMatchObject({ fire: false, code: 'no_outside_quorum' })
  })

  it('never fires for a healthy or partitioned primary: the plan refuses it', () => {
    const partition = [
      view('gateway', true, 300),
      view('primary_agent', true, 300),
      view('secondary_agent', false, 300),
      view('secondary_vault', false, 300),
    ]
    const refused = {
      allowed: false,
      refusal: { code: 'PRIMARY_HEALTHY', detail: 'a partition, not a lost site', fix: null },
      primary_verdict: 'healthy' as const,
      vantage_points: partition,
      old_primary_fence: SELF,
    }
    const d = decideAutoFailover({ ...input(), plan: refused })
    expect(d).toMatchObject({ fire: false, code: 'refused' })
    expect(d.reason).toContain('PRIMARY_HEALTHY')
    // Inside the anti-flap window too: a healthy primary is not "blocked" (that says a failover was held back).
    const inWindow = decideAutoFailover({ ...input({ lastFailoverAt: NOW - 60_000 }), plan: refused })
    expect(inWindow).toMatchObject({ fire: false, code: 'refused' })
  })

  it('holds when the plan refuses for data loss, even with the quorum', () => {
    const plan = {
      allowed: false,
      refusal: { code: 'DATA_LOSS', detail: 'the secondary lacks 2 WAL(s)', fix: null },
      primary_verdict: 'down' as const,
      vantage_points: lost,
      old_primary_fence: SELF,
    }
    expect(decideAutoFailover({ ...input(), plan })).toMatchObject({ fire: false, code: 'refused' })
  })

  it('holds inside the anti-flap window of the last failover, and fires once it has passed', () => {
    const inside = decideAutoFailover(input({ lastFailoverAt: NOW - 3_599_000 }))
    expect(inside).toMatchObject({ fire: false, code: 'blocked' })
    expect(inside.reason).toContain(new Date(NOW + 1_000).toISOString())
    expect(decideAutoFailover(input({ lastFailoverAt: NOW - 3_600_000 })).fire).toBe(true)
  })
})
