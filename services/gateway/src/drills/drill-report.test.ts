import { describe, expect, it } from 'vitest'
import { newLeg, reversed } from '../role-changes/leg.ts'
import type { RunData } from '../switchovers/role-change-run.ts'
import { endedReport } from './drill.kind.ts'
import { failedDrillData, summarizeDrill } from './drill-report.ts'
import type { DrillReport } from './drills.schemas.ts'

/** A hold of 5 min checked every 10 s, every check accepted. */
const HELD = {
  started_at: '2026-01-01T00:00:30.000Z',
  until: '2026-01-01T00:05:30.000Z',
  checks: 30,
  refused: 0,
  ended_at: '2026-01-01T00:05:30.000Z',
  cut_short: false,
}

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
      hold: HELD,
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
      // A warning (the post-hook) is not a finding: the drill exercised DR as asked.
      verdict: 'passed',
      findings: [],
    })
    expect((summary.report as { checks_warned: unknown[] }).checks_warned).toHaveLength(1)
  })

  it('fails the drill, with what it found, when a leg lost WALs or the new primary refused writes while it held', () => {
    const out = newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])
    const done = (extra: Partial<RunData>): RunData => ({
      legs: [
        { ...out, write_unavailable_ms: 30, wals_lost: 0 },
        { ...reversed(out), write_unavailable_ms: 30, wals_lost: 0, finished_at: '2026-01-01T00:06:00.000Z' },
      ],
      checks: [],
      warnings: [],
      write_unavailable_ms: null,
      wals_lost: null,
      hold: HELD,
      ...extra,
    })
    const report = (data: RunData) => summarizeDrill(data).report as { verdict: string; findings: string[] }
    expect(report(done({}))).toMatchObject({ verdict: 'passed', findings: [] })
    expect(report(done({ hold: { ...HELD, refused: 2 } }))).toEqual(
      expect.objectContaining({ verdict: 'failed', findings: ['dc2 refused 2 of 30 write checks during the hold'] }),
    )
    const lossy = done({})
    lossy.legs[1] = { ...(lossy.legs[1] as RunData['legs'][number]), wals_lost: 3 }
    expect(report(lossy)).toMatchObject({ verdict: 'failed', findings: ['dc2 → dc1: 3 WAL(s) lost'] })
    expect(report(done({ hold: { ...HELD, unanswered: 1 } })).findings).toEqual([
      '1 of 30 write checks of dc2 got no answer from its agent',
    ])
    expect(report(done({ hold: { ...HELD, cut_short: true } })).findings).toEqual([
      'the hold was cut short by a cancellation',
    ])
    // The back leg not finished (running, failed, or cancelled before it): no verdict yet.
    const unfinished = done({})
    unfinished.legs[1] = { ...(unfinished.legs[1] as RunData['legs'][number]), finished_at: null }
    expect(report(unfinished).verdict).toBe('unfinished')
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

  it('reports nothing of a leg still to come, and a leg undone by what it measured (the old primary took writes again)', () => {
    const out = { ...newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }]) }
    const back = reversed(out)
    const running: RunData = {
      legs: [{ ...out, write_unavailable_ms: 40, wals_lost: 0, finished_at: '2026-01-01T00:00:01.000Z' }, back],
      checks: [],
      warnings: [],
      write_unavailable_ms: null,
      wals_lost: null,
      hold: HELD,
    }
    expect(summarizeDrill(running).report).toMatchObject({ verdict: 'unfinished', findings: [] })

    // The way back failed after its demote (dc1 never caught up); dc2 was promoted back 5704 ms later.
    const demoted = { ...back, demote_sent_at: '2026-01-01T00:06:00.000Z' }
    const undo = {
      ...reversed(demoted),
      demote_sent_at: demoted.demote_sent_at,
      promoted_at: '2026-01-01T00:06:05.700Z',
      writes_accepted_at: '2026-01-01T00:06:05.704Z',
      write_unavailable_ms: 5704,
    }
    // Under way, or failed before the old primary took writes again: not undone, nothing claimed.
    const undoing = { ...undo, promoted_at: null, writes_accepted_at: null, write_unavailable_ms: null }
    const pending = summarizeDrill({ ...running, legs: [running.legs[0] ?? out, demoted], undo: undoing })
      .report as DrillReport
    expect(pending.legs[1]).not.toHaveProperty('undone')
    expect(pending.findings).toEqual([])
    const failed = summarizeDrill({ ...running, legs: [running.legs[0] ?? out, demoted], undo }).report
    expect(failed).toMatchObject({
      verdict: 'unfinished',
      legs: [
        { from: 'dc1', to: 'dc2', rto_ms: 40, rpo_wals: 0 },
        { from: 'dc2', to: 'dc1', rto_ms: 5704, rpo_wals: 0, undone: true },
      ],
      findings: ['dc2 → dc1 failed and was undone: dc2 took writes again after 5704 ms, nothing lost'],
    })
    // Once the drill has ended failed: verdict failed, with what it found and that it failed.
    const ended = failedDrillData({ ...running, legs: [running.legs[0] ?? out, demoted], undo })
    expect(ended.report).toMatchObject({
      verdict: 'failed',
      findings: [
        'dc2 → dc1 failed and was undone: dc2 took writes again after 5704 ms, nothing lost',
        'the drill failed before its way back was done (the operation error says why)',
      ],
    })
    expect(failedDrillData(running).report).toMatchObject({ verdict: 'failed' })
  })

  it('a drill that failed ends with verdict failed only between its first demote and the end of its way back', () => {
    const out = newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])
    const data = (legs: RunData['legs']): Pick<RunData, 'legs'> & RunData => ({
      legs,
      checks: [],
      warnings: [],
      write_unavailable_ms: null,
      wals_lost: null,
      hold: HELD,
    })
    const at = '2026-01-01T00:00:00.000Z'
    const ended = (d: RunData, why: 'failed' | 'cancelled' = 'failed') =>
      ((endedReport({ data: () => d }, why).patch?.data as RunData | undefined)?.report as DrillReport | undefined)
        ?.verdict
    // Failed before any demote (preflight, pre-hook): nothing changed, nothing concluded.
    expect(ended(data([out, reversed(out)]))).toBeUndefined()
    // Failed on the way there, or back: DR did not work as drilled.
    expect(ended(data([{ ...out, demote_sent_at: at }, reversed(out)]))).toBe('failed')
    const back = { ...reversed(out), demote_sent_at: at }
    expect(ended(data([{ ...out, demote_sent_at: at, finished_at: at }, back]))).toBe('failed')
    // Failed after the way back was done (the new DR operation token, the post-hook): the measurement stands.
    expect(
      ended(
        data([
          { ...out, demote_sent_at: at, finished_at: at },
          { ...back, finished_at: at },
        ]),
      ),
    ).toBeUndefined()
    // A cancellation is not a failure.
    expect(ended(data([{ ...out, demote_sent_at: at }, reversed(out)]), 'cancelled')).toBeUndefined()
  })
})
