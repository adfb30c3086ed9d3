import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { repeatRounds } from './repeat-rounds.ts'

describe('repeatRounds', () => {
  it('runs one round at a time, waits what a round answers, goes on after one that throws, and stop waits for the one under way', async () => {
    const started: number[] = []
    let running = 0
    let most = 0
    let release = () => {}
    const lines: string[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
    const rounds = repeatRounds({
      round: async () => {
        started.push(Date.now())
        most = Math.max(most, ++running)
        try {
          if (started.length === 2) throw new Error('store gone')
          if (started.length === 4) await new Promise<void>((r) => (release = r))
          return started.length === 1 ? 5 : 20
        } finally {
          running--
        }
      },
      nextMs: (ms) => ms,
      everyMs: 20,
      log,
      what: 'test',
    })
    rounds.start(0)
    while (started.length < 4) await new Promise((r) => setTimeout(r, 5))
    const stopping = rounds.stop()
    let stopped = false
    void stopping.then(() => (stopped = true))
    await new Promise((r) => setTimeout(r, 50))
    expect(stopped).toBe(false)
    release()
    await stopping
    await new Promise((r) => setTimeout(r, 50))
    expect(started).toHaveLength(4)
    expect(most).toBe(1)
    expect(lines.join('')).toContain('test round failed')
  })
})
