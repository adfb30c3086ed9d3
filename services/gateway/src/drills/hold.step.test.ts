import { describe, expect, it } from 'vitest'
import type { OperationRun } from '../operations/operation-kind.ts'
import type { OperationRecord } from '../operations/operation-record.ts'
import { newLeg } from '../role-changes/leg.ts'
import type { RoleChangeContext } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun, RunData } from '../switchovers/role-change-run.ts'
import type { HoldProgress } from './drills.schemas.ts'
import { holdStep } from './hold.step.ts'

function holdRun(opts: {
  /** Each check's answer: writable or not, or 'error' for no answer from the agent. */
  writable: Array<boolean | 'error'>
  hold?: HoldProgress
  cancelAfterChecks?: number
  now?: () => number
  signal?: AbortSignal
}) {
  let data: RunData = {
    legs: [newLeg('dc1', 'dc2', 'dc2', [{ cluster: 'dc1', secondary_id: 'dc1' }])],
    checks: [],
    warnings: [],
    write_unavailable_ms: null,
    wals_lost: null,
    ...(opts.hold ? { hold: opts.hold } : {}),
  }
  let checks = 0
  const answers = [...opts.writable]
  const roles = {
    leg: () => data.legs[0],
    client: () => ({
      checkWrites: async () => {
        checks++
        const writable = answers.shift() ?? true
        if (writable === 'error') throw new Error('GATEWAY_ERR_AGENT_TIMEOUT: no answer within 15000 ms')
        return { writable, detail: writable ? 'ok' : 'no active node', code: null, took_ms: 1 }
      },
    }),
    signal: () => opts.signal ?? new AbortController().signal,
    now: opts.now ?? (() => Date.now()),
    warn: async (text: string) => {
      data = { ...data, warnings: [...data.warnings, text] }
    },
  } as unknown as RoleChangeContext
  const r: RoleChangeRun = {
    roles,
    data: () => data,
    saveData: async (patch) => {
      data = { ...data, ...patch }
    },
    run: {
      cancelRequested: async () => opts.cancelAfterChecks !== undefined && checks >= opts.cancelAfterChecks,
    } as unknown as OperationRun<OperationRecord>,
  }
  return { r, hold: () => data.hold as HoldProgress, warnings: () => data.warnings, checks: () => checks }
}

describe("a drill's hold", () => {
  it('ends exactly the hold after it began, however the clock moves while it is written', async () => {
    // Every reading of this clock is a millisecond later than the one before.
    let clock = Date.now()
    const h = holdRun({ writable: [true], now: () => clock++, cancelAfterChecks: 1 })
    await holdStep(h.r, 3_000, 1_000)
    expect(Date.parse(h.hold().until) - Date.parse(h.hold().started_at)).toBe(3_000)
  })

  it('checks the new primary every interval until the hold ends, and warns for each refused write', async () => {
    const h = holdRun({ writable: [true, false, true] })
    const started = Date.now()
    const result = await holdStep(h.r, 250, 100)
    expect(Date.now() - started).toBeGreaterThanOrEqual(240)
    expect(h.hold()).toMatchObject({ refused: 1, cut_short: false })
    // At 0 and 100 ms at least (a stalled timer may push the third past the end).
    expect(h.hold().checks).toBeGreaterThanOrEqual(2)
    expect(h.hold().ended_at).not.toBeNull()
    expect(h.warnings()).toEqual([expect.stringContaining('hold: dc2 refused a write')])
    expect(result.detail).toMatch(/served as DR primary for the hold: \d+ of \d+ write checks accepted/)
  })

  it("counts a check its agent gave no answer to apart from Vault's refusals; one cut by the gateway stopping not at all", async () => {
    const h = holdRun({ writable: ['error', true] })
    const result = await holdStep(h.r, 150, 100)
    expect(h.hold()).toMatchObject({ refused: 0, unanswered: 1 })
    expect(result.detail).toBe(
      `dc2 served as DR primary for the hold: ${h.hold().checks - 1} of ${h.hold().checks} write checks accepted`,
    )
    expect(h.warnings()).toEqual([expect.stringContaining('hold: dc2 gave no answer to a write check')])

    const stopping = new AbortController()
    stopping.abort(new Error('the gateway stops'))
    const cut = holdRun({ writable: ['error'], signal: stopping.signal })
    await expect(holdStep(cut.r, 150, 100)).rejects.toThrow('the gateway stops')
    expect(cut.hold()).toMatchObject({ checks: 0, refused: 0, unanswered: 0 })
  })

  it('resumed after a restart, it ends when it was meant to (not a new hold)', async () => {
    const begun = Date.now() - 60_000
    const h = holdRun({
      writable: [true],
      hold: {
        started_at: new Date(begun).toISOString(),
        until: new Date(begun + 1_000).toISOString(),
        checks: 12,
        refused: 0,
        ended_at: null,
        cut_short: false,
      },
    })
    const started = Date.now()
    await holdStep(h.r, 5 * 60_000, 1_000)
    expect(Date.now() - started).toBeLessThan(500)
    expect(h.hold()).toMatchObject({ checks: 13, started_at: new Date(begun).toISOString() })
  })

  it('resumed after a restart that came once it had ended, it is as it ended: no check more, not cut short by a cancel asked since', async () => {
    const ended = {
      started_at: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:05:00.000Z',
      checks: 30,
      refused: 0,
      unanswered: 0,
      ended_at: '2026-01-01T00:05:00.000Z',
      cut_short: false,
    }
    const h = holdRun({ writable: [false], hold: ended, cancelAfterChecks: 0 })
    const result = await holdStep(h.r, 5 * 60_000, 10_000)
    expect(h.checks()).toBe(0)
    expect(h.hold()).toEqual(ended)
    expect(result).toEqual({
      status: 'succeeded',
      detail: 'dc2 served as DR primary for the hold: 30 of 30 write checks accepted',
    })
  })

  it('a cancellation cuts it short within half a second', async () => {
    const h = holdRun({ writable: [true, true], cancelAfterChecks: 1 })
    const started = Date.now()
    const result = await holdStep(h.r, 60_000, 10_000)
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(result.detail).toContain('hold cut short by a cancellation')
    expect(h.hold()).toMatchObject({ cut_short: true, checks: 1 })
  })
})
