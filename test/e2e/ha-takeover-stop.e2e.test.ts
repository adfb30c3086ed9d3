import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { holderIndex, logOf, resumedStep, waitOn } from '../helpers/ha-gateways.ts'
import { onSimEvent } from '../helpers/ha-sim-tap.ts'
import { expectOneCleanSwitchover, roles, startTwoGateways } from '../helpers/ha-switchovers.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { type SwitchStack, startWriteSampler, stepOf, until } from './switchover-stack.ts'

const secrets: string[] = []
afterAll(() => expectNoSecretsInLogs(secrets))

describe('two gateways on etcd: SIGSTOP of the one running a switchover, its lease lost, then SIGCONT', () => {
  let stack: SwitchStack
  beforeAll(async () => {
    stack = await startTwoGateways(secrets)
  })
  afterAll(() => stack?.close())

  /**
   * Freezes the gateway holding a switchover the moment `from`'s Vault makes `change` (the gateway's call in flight,
   * its answer not yet read), lets the other take the switchover over and finish it, then wakes the frozen one up.
   */
  async function freezeDuring(change: string, step: string) {
    const legs = roles(stack)
    const eventsFrom = stack.simEvents.length
    const sampler = startWriteSampler(stack)
    const res = await stack.gateways[0]?.api.POST('/v1/switchovers', { body: { to: legs.to } as never })
    expect(res?.response.status, JSON.stringify(res?.error)).toBe(202)
    const id = res?.data?.id as string
    const holder = await holderIndex(stack, id)
    const frozen = stack.gateways[holder] as SwitchStack['gateways'][number]
    const survivor = stack.gateways[1 - holder] as SwitchStack['gateways'][number]
    const tap = onSimEvent(stack, `${legs.from}: [${legs.from}] dr: ${change}`, () =>
      frozen.service.process.kill('SIGSTOP'),
    )
    try {
      await until(`${legs.from} ${change}`, 30_000, tap.fired)
      const done = await waitOn(survivor.api, id)
      expect(resumedStep(survivor.service.output, id, step), `${step} not resumed`).toBeDefined()
      const seenBefore = frozen.service.output.length
      frozen.service.process.kill('SIGCONT')
      // Woken, it finds its lease gone: its renewal, or its next write, is refused by the store, and its run ends.
      const late = () => logOf(frozen.service.output.slice(seenBefore), id)
      const refused = () =>
        late().find((l) => l.msg === 'lease lost' || String(l.msg).includes('is no longer held by this gateway'))
      await until('the woken gateway told its lease is lost', 15_000, () => refused() !== undefined)
      // It serves reads again, and sees the switchover as its successor finished it.
      expect((await waitOn(frozen.api, id)).state).toBe('succeeded')
      await sampler.stop()
      await expectOneCleanSwitchover(stack, done, legs, eventsFrom, sampler)
      expect(late().filter((l) => l.status === 'succeeded' || l.msg === 'switchover finished')).toEqual([])
      console.log(`${step}: the woken gateway was refused: ${refused()?.msg} (${refused()?.reason ?? 'on a write'})`)
      return { done, legs }
    } finally {
      tap.remove()
      frozen.service.process.kill('SIGCONT')
    }
  }

  it('frozen while its demote is in flight: the other finds the demote made, the woken one writes nothing', async () => {
    const { done } = await freezeDuring('demoted to secondary', 'demote_primary')
    expect(stepOf(done, 'demote_primary')?.detail).toContain('the demote sent earlier took effect')
  }, 60_000)

  it('frozen while re-pointing the old primary: woken, its stale calls are refused, nothing is minted or re-pointed twice', async () => {
    const agentLines = Object.fromEntries(Object.entries(stack.agents).map(([n, a]) => [n, a.output.length]))
    const eventsFrom = stack.simEvents.length
    const { legs } = await freezeDuring('generated a secondary public key', 'rejoin_old_primary')
    // The frozen gateway's key, then its successor's when it ran the step again; one token, minted by the successor
    // (expectOneCleanSwitchover counted it).
    const keys = stack.simEvents.slice(eventsFrom).filter((e) => e.includes('generated a secondary public key'))
    expect(keys).toHaveLength(2)
    // Woken, its next act is the mint with the epoch it had: the agent refuses it (unless its lost lease stopped it
    // first). Every such refusal names an epoch below the one the agent has seen.
    const stale = Object.entries(stack.agents).flatMap(([n, a]) =>
      a.output.slice(agentLines[n]).filter((l) => l.includes('AGENT_ERR_STALE_EPOCH')),
    )
    for (const line of stale) {
      const [, theirs, seen] = /carries epoch (\d+); this agent has seen epoch (\d+)/.exec(line) ?? []
      expect(Number(theirs), line).toBeLessThan(Number(seen))
    }
    console.log(
      stale.length > 0
        ? `rejoin_old_primary: the woken gateway's stale call was refused by the ${legs.to} agent: ${stale.join(' ')}`
        : 'rejoin_old_primary: the woken gateway stopped on its lost lease before calling an agent',
    )
  }, 60_000)
})
