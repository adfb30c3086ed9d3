import { describe, expect, it } from 'vitest'
import { newLeg, reversed } from '../role-changes/leg.ts'
import type { RunData } from '../switchovers/role-change-run.ts'
import { summarizeDrill } from './drill-report.ts'

describe("a drill's report", () => {
  it("gives each leg's RTO and RPO, the longest window, every WAL lost, and the warnings", () => {
    const out = { ...newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }]) }
    const back = reversed(out)
    const data: RunData = {
      legs: [
        { ...out, write_unavailable_ms: 420, wals_lost: 0, demote_sent_at: '2026-01-01T00:00:00.000Z' },
        { ...back, write_unavailable_ms: 380, wals_lost: 0, finished_at: '2026-01-01T00:06:00.000Z' },
      ],
      checks: [{ name: 'lag', status: 'warn', code: 'LAGGING', detail: '2000 behind', fix: 'wait' }],
      warnings: ['post-hook: GATEWAY_ERR_HOOK_TIMEOUT'],
      write_unavailable_ms: null,
      wals_lost: null,
    }
    const summary = summarizeDrill(data)
    expect(summary).toMatchObject({ write_unavailable_ms: 420, wals_lost: 0 })
    expect(summary.report).toMatchObject({
      legs: [
        { from: 'dc1', to: 'dc2', rto_ms: 420, rpo_wals: 0 },
        { from: 'dc2', to: 'dc1', rto_ms: 380, rpo_wals: 0 },
      ],
      warnings: ['post-hook: GATEWAY_ERR_HOOK_TIMEOUT'],
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: '2026-01-01T00:06:00.000Z',
    })
    expect((summary.report as { checks_warned: unknown[] }).checks_warned).toHaveLength(1)
  })

  it('has no figures before a leg ran', () => {
    const out = newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])
    const data: RunData = {
      legs: [out, reversed(out)],
      checks: [],
      warnings: [],
      write_unavailable_ms: null,
      wals_lost: null,
    }
    expect(summarizeDrill(data)).toMatchObject({ write_unavailable_ms: null, wals_lost: null })
  })
})
