import { describe, expect, it } from 'vitest'
import { boundedDuration, durationMs } from './durations.ts'

describe('durations', () => {
  it('read ms, s, m and h', () => {
    expect([durationMs('250ms'), durationMs('90s'), durationMs('5m'), durationMs('1h')]).toEqual([
      250, 90_000, 300_000, 3_600_000,
    ])
    expect(durationMs('5')).toBeNaN()
  })

  it('are refused outside their bounds or malformed, with the bounds named', () => {
    const hold = boundedDuration(1_000, 3_600_000, '5m')
    expect(hold.safeParse('5m').success).toBe(true)
    expect(hold.safeParse('2h').error?.issues[0]?.message).toBe('must be between 1s and 1h')
    expect(hold.safeParse('500ms').success).toBe(false)
    expect(hold.safeParse('five minutes').error?.issues[0]?.message).toContain('duration')
  })
})
