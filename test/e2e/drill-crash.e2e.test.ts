import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

describe('SIGKILL of the gateway during a drill, then a restart', () => {
  it.each(['hold', 'back.promote_secondary'])(
    'during %s: the drill ends back where it began, each change once',
    async (step) => {
      stack = await startSwitchStack()
      // Slow Vault answers keep each step running long enough to be interrupted (from the drill on: the handshake
      // that built the pair ran at full speed).
      for (const c of Object.values(stack.clusters)) c.faults.setLatency(100)
      secrets.push(...stack.secrets)
      const sampler = startWriteSampler(stack)
      const res = await stack.api.POST('/v1/drills', { body: { to: 'dc2', hold: '3s', check_interval: '1s' } as never })
      const id = res.data?.id as string
      await waitForOperation(stack, id, (op) => stepOf(op, step)?.status === 'running', 60_000)
      await stack.restartGateway('SIGKILL')
      // The interrupted step was slow; the resumed run need not be.
      for (const c of Object.values(stack.clusters)) c.faults.setLatency(0)
      const done = await waitForOperation(stack, id)
      await sampler.stop()
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
      expect(done.result).toMatchObject({ wals_lost: 0 })
      const hold = (done.result as { report: { hold: { started_at: string; until: string; ended_at: string } } }).report
        .hold
      // A resumed hold ends when it was meant to: it is not started again.
      expect(Date.parse(hold.until) - Date.parse(hold.started_at)).toBe(3_000)
      expect(Date.parse(hold.ended_at)).toBeGreaterThanOrEqual(Date.parse(hold.until))
      expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
      expect(clusterOf(stack, 'dc2').state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
      const events = (what: string) => stack?.simEvents.filter((e) => e.includes(what)) ?? []
      expect(events('demoted to secondary')).toHaveLength(2)
      expect(events('promoted to primary')).toHaveLength(2)
      expect(sampler.doubles).toEqual([])
    },
  )
})
