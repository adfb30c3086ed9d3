import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  until,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const DR = '/v1/sys/replication/dr'
const STATUS_READS = new Set(['/v1/sys/health', '/v1/sys/replication/dr/status'])

/** What one emulated cluster logged that includes `what`. */
const logged = (s: SwitchStack, cluster: string, what: string) =>
  s.simEvents.filter((e) => e.startsWith(`${cluster}: `) && e.includes(what))
const issued = (s: SwitchStack) => logged(s, 'dc2', 'dr: issued an activation token for secondary dc1')

/** Each call to Vault in a switchover's role changes, the cluster whose agent sends it, and how to see it took effect. */
const CALLS = [
  {
    step: 'demote_primary',
    cluster: 'dc1',
    path: `${DR}/primary/demote`,
    settles: true,
    // The gateway's agent client itself retries a demote (safe to repeat) within 600 ms: the step may never see it.
    rerunNoted: false,
    landed: (s: SwitchStack) => clusterOf(s, 'dc1').state().drMode === 'secondary',
  },
  {
    step: 'promote_secondary',
    cluster: 'dc2',
    path: `${DR}/secondary/promote`,
    rerunNoted: true,
    settles: true,
    landed: (s: SwitchStack) => clusterOf(s, 'dc2').state().drMode === 'primary',
  },
  {
    step: 'rejoin_old_primary',
    cluster: 'dc2',
    path: `${DR}/primary/secondary-token`,
    rerunNoted: true,
    settles: false,
    landed: (s: SwitchStack) => issued(s).length > 0,
  },
  {
    step: 'rejoin_old_primary',
    cluster: 'dc1',
    path: `${DR}/secondary/update-primary`,
    rerunNoted: true,
    settles: true,
    landed: (s: SwitchStack) => logged(s, 'dc1', 'dr: secondary re-pointed to a new primary').length > 0,
  },
] as const

/**
 * When the agent dies: with its call held before Vault, which then carries it out (`after_sending`) or never gets it
 * (`before_vault`); or once Vault carried it out, while the agent reads its status to see the change settle.
 */
const MOMENTS = ['after_sending', 'before_vault', 'while_settling'] as const
const CASES = CALLS.flatMap((call) =>
  MOMENTS.filter((moment) => moment !== 'while_settling' || call.settles).map((moment) => ({ ...call, moment })),
)

describe('SIGKILL of an agent in the middle of its call to Vault in a switchover role change, then a restart', () => {
  it.each(CASES)(
    '$step, $path on $cluster, $moment: the switchover ends with dc2 the one primary, dc1 streaming from it, no write lost',
    async ({ step, cluster, path, landed, moment, rerunNoted }) => {
      stack = await startSwitchStack({ vaultGates: true })
      const s = stack
      secrets.push(...s.secrets)
      const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
      const gate = s.vaultGates?.[cluster]
      if (gate === undefined) throw new Error(`the stack has no gate in front of ${cluster}`)
      const sampler = startWriteSampler(s)

      gate.hold((p) => p === path)
      const created = await s.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
      expect(created.response.status, JSON.stringify(created.error)).toBe(202)
      const id = created.data?.id as string
      await gate.waiting()
      if (moment === 'while_settling') {
        // The change reaches Vault; the agent's reads that would see it settle wait at the gate; the agent dies then.
        gate.release()
        gate.hold((p) => STATUS_READS.has(p))
        await until(`${path} taken effect on ${cluster}`, 10_000, () => landed(s))
        await s.agents[cluster]?.stop('SIGKILL')
        gate.release()
      } else {
        await s.agents[cluster]?.stop('SIGKILL')
        if (moment === 'before_vault') gate.drop()
        else {
          gate.release()
          await until(`${path} taken effect on ${cluster}`, 10_000, () => landed(s))
        }
      }
      await s.restartAgent(cluster)

      const done = await waitForOperation(s, id, undefined, 90_000)
      await sampler.stop()
      expect(done.state, JSON.stringify({ error: done.error, step: stepOf(done, step) })).toBe('succeeded')
      expect(done.result).toMatchObject({ wals_lost: 0 })
      if (rerunNoted) expect(stepOf(done, step)?.detail).toContain('unfinished attempt')
      expect([dc1, dc2].filter((c) => c.state().drMode === 'primary')).toEqual([dc2])
      expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
      const events = (what: string) => s.simEvents.filter((e) => e.includes(what))
      // No role change made twice; a token minted for dc1 whose answer was lost is revoked before another is.
      expect(events('demoted to secondary')).toHaveLength(1)
      expect(events('promoted to primary')).toHaveLength(1)
      expect(events('re-pointed to a new primary')).toHaveLength(1)
      expect(events('enabled as secondary')).toHaveLength(1)
      expect(issued(s).length - logged(s, 'dc2', 'dr: revoked secondary dc1').length).toBe(1)
      expect(sampler.doubles).toEqual([])
      expect(sampler.accepted.dc1?.length).toBeGreaterThan(0)
      for (const p of sampler.accepted.dc1 ?? []) expect(await kvRead(dc2, s.rootToken, p)).toBe(p)
    },
  )
})

describe('SIGKILL of an agent in the middle of a drill role change, then a restart', () => {
  it('the promote of dc1 back, sent as its agent died and carried out by Vault: the drill switches back and passes', async () => {
    stack = await startSwitchStack({ vaultGates: true })
    const s = stack
    secrets.push(...s.secrets)
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    const gate = s.vaultGates?.dc1
    if (gate === undefined) throw new Error('the stack has no gate in front of dc1')
    gate.hold((p) => p === `${DR}/secondary/promote`)
    const created = await s.api.POST('/v1/drills', { body: { to: 'dc2', hold: '1s', check_interval: '1s' } as never })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const id = created.data?.id as string
    await gate.waiting()
    await s.agents.dc1?.stop('SIGKILL')
    gate.release()
    await until('dc1 promoted back by Vault', 10_000, () => dc1.state().drMode === 'primary')
    await s.restartAgent('dc1')

    const done = await waitForOperation(s, id, undefined, 90_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stepOf(done, 'back.promote_secondary')?.detail).toContain('unfinished attempt')
    expect((done.result as { report: { verdict: string } }).report.verdict).toBe('passed')
    expect([dc1, dc2].filter((c) => c.state().drMode === 'primary')).toEqual([dc1])
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    expect(logged(s, 'dc1', 'promoted to primary')).toHaveLength(1)
  })
})

describe('an agent started elsewhere and registered again while a step waits for it', () => {
  it('the promote runs again against the agent where it is registered now: the switchover succeeds', async () => {
    stack = await startSwitchStack({ vaultGates: true })
    const s = stack
    secrets.push(...s.secrets)
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    const gate = s.vaultGates?.dc2
    if (gate === undefined) throw new Error('the stack has no gate in front of dc2')
    gate.hold((p) => p === `${DR}/secondary/promote`)
    const created = await s.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const id = created.data?.id as string
    await gate.waiting()
    // The agent's host is lost with the promote on its way (it never reaches Vault); the agent is started elsewhere.
    await s.agents.dc2?.stop('SIGKILL')
    gate.drop()
    await s.moveAgent('dc2', 'secondary')

    const done = await waitForOperation(s, id, undefined, 60_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stepOf(done, 'promote_secondary')?.detail).toContain('unfinished attempt')
    expect([dc1, dc2].filter((c) => c.state().drMode === 'primary')).toEqual([dc2])
    expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
  })
})
