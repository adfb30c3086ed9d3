import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ISOLATION_FILE, keepIsolationClocks, restoreIsolationClocks } from './isolation-clocks.ts'

const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'isolation-clocks-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const START = Date.parse('2026-12-06T12:00:00.000Z')
const MIN = 60_000

describe("the self-fencing clocks kept across an agent's restart", () => {
  it('starts fresh without a file, or with one it cannot read: contact now, not isolated', () => {
    const d = dir()
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({ lastContactAt: START, isolatedSince: null })
    writeFileSync(join(d, ISOLATION_FILE), 'not json')
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({ lastContactAt: START, isolatedSince: null })
  })

  it('resumes clocks kept a moment before the restart, as they were', async () => {
    const d = dir()
    await keepIsolationClocks(d, { lastContactAt: START - 20_000, isolatedSince: START - 15_000 })
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({
      lastContactAt: START - 20_000,
      isolatedSince: START - 15_000,
    })
    await keepIsolationClocks(d, { lastContactAt: START - 1_000, isolatedSince: null })
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({ lastContactAt: START - 1_000, isolatedSince: null })
  })

  it('after a long stop, gives the gateways a grace to reach it (two rounds, at most half the duration); never later than its start', async () => {
    const d = dir()
    await keepIsolationClocks(d, { lastContactAt: START - 3_600_000, isolatedSince: START - 3_600_000 })
    const graced = START - MIN + 6_000
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({ lastContactAt: graced, isolatedSince: graced })
    expect(restoreIsolationClocks(d, START, 10_000)).toEqual({
      lastContactAt: START - 5_000,
      isolatedSince: START - 5_000,
    })
    // A clock set back since: what was kept lies ahead of the start.
    await keepIsolationClocks(d, { lastContactAt: START + 9_000, isolatedSince: START + 9_000 })
    expect(restoreIsolationClocks(d, START, MIN)).toEqual({ lastContactAt: START, isolatedSince: START })
  })
})
