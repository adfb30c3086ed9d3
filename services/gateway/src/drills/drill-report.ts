import type { Leg } from '../role-changes/leg.ts'
import type { RunData } from '../switchovers/role-change-run.ts'
import type { DrillReport, HoldProgress } from './drills.schemas.ts'

/** The drill's report from its legs and hold, rewritten with every save (pure). */
export function drillReport(data: RunData): DrillReport {
  const legs = data.legs.map((l) => legReport(l, data.undo))
  const hold = (data.hold as HoldProgress | undefined) ?? null
  const ended_at = data.legs[1]?.finished_at ?? null
  const found = findings(legs, hold)
  // Ended failed between its first demote and the end of its way back (written with the operation's end).
  if (data.failed === true) found.push('the drill failed before its way back was done (the operation error says why)')
  return {
    legs,
    hold,
    warnings: data.warnings,
    checks_warned: data.checks.filter((c) => c.status === 'warn'),
    started_at: data.legs[0]?.demote_sent_at ?? null,
    ended_at,
    verdict:
      data.failed === true
        ? 'failed'
        : legs.length < 2 || ended_at === null
          ? 'unfinished'
          : found.length > 0
            ? 'failed'
            : 'passed',
    findings: found,
  }
}

/**
 * One leg as measured. A leg undone (it failed between its demote and its promote, and its old primary was promoted
 * back) counts its window until that primary took writes again, and no WAL lost once it did: it holds every write.
 */
function legReport(l: Leg, undo: Leg | undefined): DrillReport['legs'][number] {
  const undoing = undo !== undefined && undo.to === l.from && undo.from === l.to && l.promote_sent_at === null
  // Undone once the old primary took writes again; an undo under way, or one that failed, changes nothing here.
  const undone = undoing && undo.writes_accepted_at !== null
  return {
    from: l.from,
    to: l.to,
    rto_ms: undone ? undo.write_unavailable_ms : l.write_unavailable_ms,
    rpo_wals: undone ? 0 : l.wals_lost,
    demote_sent_at: l.demote_sent_at,
    writes_accepted_at: undone ? undo.writes_accepted_at : l.writes_accepted_at,
    finished_at: l.finished_at,
    ...(undone ? { undone: true } : {}),
  }
}

/**
 * What a drill that ran both legs found wrong: the reason to exercise DR at all. A WAL lost in a planned switchover,
 * a new primary that refused writes while it held the role, or a hold that was not held as asked.
 */
function findings(legs: DrillReport['legs'], hold: HoldProgress | null): string[] {
  const found: string[] = []
  for (const leg of legs) {
    const name = `${leg.from} → ${leg.to}`
    if (leg.undone === true) {
      const window = leg.rto_ms === null ? '' : ` after ${leg.rto_ms} ms`
      found.push(`${name} failed and was undone: ${leg.from} took writes again${window}, nothing lost`)
    } else if (leg.rpo_wals === null) {
      // A leg still to come, or under way, has nothing to report yet.
      if (leg.finished_at !== null) found.push(`${name}: the WALs lost are unknown`)
    } else if (leg.rpo_wals > 0) found.push(`${name}: ${leg.rpo_wals} WAL(s) lost`)
  }
  const to = legs[0]?.to ?? 'the new primary'
  if (hold === null) found.push('no hold was recorded')
  else {
    if (hold.refused > 0) found.push(`${to} refused ${hold.refused} of ${hold.checks} write checks during the hold`)
    const unanswered = hold.unanswered ?? 0
    if (unanswered > 0) found.push(`${unanswered} of ${hold.checks} write checks of ${to} got no answer from its agent`)
    if (hold.checks === 0) found.push(`no write check of ${to} ran during the hold`)
    if (hold.cut_short) found.push('the hold was cut short by a cancellation')
  }
  return found
}

/** The data a drill that failed midway ends with (`failed: true`): its report's verdict failed. */
export function failedDrillData(data: RunData): RunData {
  const failed = { ...data, failed: true }
  return { ...failed, ...summarizeDrill(failed) }
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
