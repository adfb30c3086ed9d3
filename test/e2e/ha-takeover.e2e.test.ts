import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gatewayId, holderIndex, logOf, resumedStep, waitOn } from '../helpers/ha-gateways.ts'
import { onSimEvent } from '../helpers/ha-sim-tap.ts'
import {
  expectOneCleanSwitchover,
  LATENCY_MS,
  LEASE_MS,
  roles,
  setLatency,
  startTwoGateways,
} from '../helpers/ha-switchovers.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  type Operation,
  SWITCHOVER_STEPS,
  type SwitchStack,
  startWriteSampler,
  stepOf,
  until,
} from './switchover-stack.ts'

/** While the step to interrupt is reached: its Vault calls last long enough to catch it running. */
const SLOW_LATENCY_MS = 400

const STEPS = SWITCHOVER_STEPS

/**
 * The moments a step's Vault change is made but its answer has not reached the gateway: the worst time to die, as
 * nothing in the store says yet whether the change happened. `on` is the cluster making it, `{from}` the old primary.
 */
const CHANGES = [
  { step: 'demote_primary', moment: 'the old primary demoted', on: 'from', change: 'demoted to secondary' },
  { step: 'promote_secondary', moment: 'the new primary promoted', on: 'to', change: 'promoted to primary' },
  {
    step: 'rejoin_old_primary',
    moment: "the old primary's activation token minted",
    on: 'to',
    change: 'issued an activation token for secondary {from}',
  },
  {
    step: 'rejoin_old_primary',
    moment: 'the old primary re-pointed',
    on: 'from',
    change: 'secondary re-pointed to a new primary',
  },
] as const

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

describe('two gateways on etcd: SIGKILL of the one running a switchover, the other takes it over', () => {
  let stack: SwitchStack
  let round = 0
  beforeAll(async () => {
    stack = await startTwoGateways(secrets)
  })
  afterAll(() => stack?.close())

  /**
   * One switchover the other way round than the last (so one stack serves every case), created on the gateways in
   * turn; `killAt` kills the gateway holding it at the chosen moment and says when. The other must resume `step` and
   * finish it exactly once; the killed one is then started again for the next case.
   */
  async function switchoverKilled(
    step: string,
    killAt: (ctx: {
      id: string
      holder: number
      legs: { from: string; to: string }
      kill: () => void
    }) => Promise<void>,
  ) {
    const legs = roles(stack)
    const eventsFrom = stack.simEvents.length
    const sampler = startWriteSampler(stack)
    const via = stack.gateways[round++ % 2]
    const res = await via?.api.POST('/v1/switchovers', { body: { to: legs.to } as never })
    expect(res?.response.status, JSON.stringify(res?.error)).toBe(202)
    const id = res?.data?.id as string
    const holder = await holderIndex(stack, id)
    const killed = stack.gateways[holder]?.service as SwitchStack['gateways'][number]['service']
    let killedAt = 0
    await killAt({
      id,
      holder,
      legs,
      kill: () => {
        killed.process.kill('SIGKILL')
        killedAt = Date.now()
      },
    })
    await killed.exited
    setLatency(stack, LATENCY_MS)

    const survivor = stack.gateways[1 - holder] as SwitchStack['gateways'][number]
    const done = await waitOn(survivor.api, id)
    await sampler.stop()
    await expectOneCleanSwitchover(stack, done, legs, eventsFrom, sampler)
    const resumed = resumedStep(survivor.service.output, id, step)
    expect(resumed, `${gatewayId(1 - holder)} did not resume ${step}`).toBeDefined()
    expect(logOf(killed.output, id).some((l) => l.step === step && l.status === 'succeeded')).toBe(false)
    const after = (resumed?.time as number) - killedAt
    console.log(
      `${step}: ${gatewayId(holder)} killed, ${gatewayId(1 - holder)} resumed it ${after} ms later (lease ${LEASE_MS} ms)`,
    )
    await stack.restartGateway('SIGKILL', holder)
    return done
  }

  it.each(STEPS)(
    'inside %s: the other gateway resumes that step and finishes the switchover exactly once',
    async (step) => {
      const before = STEPS[STEPS.indexOf(step) - 1]
      const reached = (name: string) => (op: Operation) => stepOf(op, name)?.status !== 'pending'
      await switchoverKilled(step, async ({ id, holder, kill }) => {
        const api = stack.gateways[holder]?.api as SwitchStack['api']
        // Slow from the step before on, so the step is still running when the test sees it running.
        if (before !== undefined) await waitOn(api, id, reached(before))
        setLatency(stack, SLOW_LATENCY_MS)
        const seen = await waitOn(api, id, reached(step))
        expect(stepOf(seen, step)?.status, `${step} ended before the kill`).toBe('running')
        kill()
        console.log(`  killed ${Date.now() - Date.parse(stepOf(seen, step)?.started_at as string)} ms into ${step}`)
      })
    },
    60_000,
  )

  it.each(CHANGES)(
    'in $step, the moment of $moment: the other gateway reads what was done and makes no change twice',
    async ({ step, on, change }) => {
      const done = await switchoverKilled(step, async ({ legs, kill }) => {
        const cluster = legs[on]
        const tap = onSimEvent(stack, `${cluster}: [${cluster}] dr: ${change.replace('{from}', legs.from)}`, kill)
        try {
          await until(`${cluster}: ${change}`, 30_000, tap.fired)
        } finally {
          tap.remove()
        }
      })
      console.log(`  ${step} as the survivor ended it: ${stepOf(done, step)?.detail}`)
    },
    60_000,
  )
})
