import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  SWITCHOVER_STEPS,
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

const STEPS = SWITCHOVER_STEPS

describe('SIGKILL of the gateway in the middle of each switchover step, then a restart', () => {
  it.each(STEPS)('during %s: one primary at the end, no role change made twice, no write lost', async (step) => {
    stack = await startSwitchStack()
    // Slow Vault answers keep each step running long enough to be interrupted (from the switchover on: the handshake
    // that built the pair ran at full speed).
    for (const c of Object.values(stack.clusters)) c.faults.setLatency(150)
    secrets.push(...stack.secrets)
    const [dc1, dc2] = [clusterOf(stack, 'dc1'), clusterOf(stack, 'dc2')]
    const sampler = startWriteSampler(stack)
    // A secondary that holds everything already ends wait_catch_up at its first status read (which its agent may answer
    // from a read under way, in a few milliseconds): dc2 falls behind until the gateway is killed, so the step waits.
    const holdCatchUp = step === 'wait_catch_up'
    if (holdCatchUp) {
      dc2.faults.holdWals(true)
      dc1.faults.write()
    }
    const res = await stack.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    const id = res.data?.id as string
    await waitForOperation(stack, id, (op) => stepOf(op, step)?.status === 'running', 60_000)
    await stack.restartGateway('SIGKILL')
    if (holdCatchUp) dc2.faults.holdWals(false)
    // The interrupted step was slow; the resumed run need not be.
    for (const c of Object.values(stack.clusters)) c.faults.setLatency(0)

    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.result).toMatchObject({ wals_lost: 0 })
    expect([dc1, dc2].filter((c) => c.state().drMode === 'primary')).toEqual([dc2])
    expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
    const events = (what: string) => stack?.simEvents.filter((e) => e.includes(what)) ?? []
    expect(events('demoted to secondary')).toHaveLength(1)
    expect(events('promoted to primary')).toHaveLength(1)
    expect(events('re-pointed to a new primary')).toHaveLength(1)
    expect(events('enabled as secondary')).toHaveLength(1)
    expect(sampler.doubles).toEqual([])
    expect(sampler.accepted.dc1?.length).toBeGreaterThan(0)
    for (const path of sampler.accepted.dc1 ?? []) expect(await kvRead(dc2, stack.rootToken, path)).toBe(path)
  })
})
