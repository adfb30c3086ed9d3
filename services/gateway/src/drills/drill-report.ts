import type { RunData } from '../switchovers/role-change-run.ts'
import type { DrillReport, HoldProgress } from './drills.schemas.ts'

/** The drill's report from its legs and hold, rewritten with every save (pure). */
export function drillReport(data: RunData): DrillReport {
  const legs = data.legs.map((l) => ({
    from: l.from,
    to: l.to,
    rto_ms: l.write_unavailable_ms,
    rpo_wals: l.wals_lost,
    demote_sent_at: l.demote_sent_at,
    writes_accepted_at: l.writes_accepted_at,
    finished_at: l.finished_at,
  }))
  return {
    legs,
    hold: (data.hold as HoldProgress | undefined) ?? null,
    warnings: data.warnings,
    checks_warned: data.checks.filter((c) => c.status === 'warn'),
    started_at: data.legs[0]?.demote_sent_at ?? null,
    ended_at: data.legs[1]?.finished_at ?? null,
  }
}

/** The drill's summary fields: the longest write-unavailable window of its legs, and every WAL lost. */
export function summarizeDrill(data: RunData): Partial<RunData> {
  const windows = data.legs.map((l) => l.write_unavailable_ms)
  const lost = data.legs.map((l) => l.wals_lost)
  return {
    write_unavailable_ms: windows.every((w) => w === null) ? null : Math.max(...windows.map((w) => w ?? 0)),
    wals_lost: lost.every((w) => w === null) ? null : lost.reduce<number>((a, b) => a + (b ?? 0), 0),
    report: drillReport(data),
  }
}
