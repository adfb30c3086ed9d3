import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type Operation,
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

const FAILOVER_STEPS = [
  'preflight',
  'promote_secondary',
  'fence_old_primary',
  'verify_new_primary',
  'update_primary:dc3',
  'new_dr_operation_token',
  'record_pairs',
]
const REJOIN_STEPS = ['preflight', 'rejoin_old_primary', 'end_fence']
const STORE_ONLY = ['failover preflight', 'failover fence_old_primary', 'failover record_pairs', 'rejoin end_fence']
/** Added to every Vault answer until the gateway is killed, so the steps that call Vault last long enough to be hit. */
const LATENCY_MS = 150

/** The fence entry the gateway keeps for a cluster, read from its store (the test reads, never writes). */
function fenceEntryOf(s: SwitchStack, cluster: string): Record<string, unknown> | undefined {
  const db = new DatabaseSync(join(s.dir, 'gateway.sqlite'), { readOnly: true })
  try {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(`fence/${cluster}`)
    const raw = row?.value as string | undefined
    return raw === undefined || raw === '' ? undefined : JSON.parse(raw)
  } finally {
    db.close()
  }
}

/** The fence on record for a cluster; none once a rejoin ended it (the entry then names the failover it ended). */
function fenceOf(
  s: SwitchStack,
  cluster: string,
): { failover_id: string; epoch: number; fenced_at: string } | undefined {
  const entry = fenceEntryOf(s, cluster)
  return entry?.failover_id === undefined
    ? undefined
    : (entry as { failover_id: string; epoch: number; fenced_at: string })
}

/**
 * Starts the operation, SIGKILLs the gateway once `step` is seen running and restarts it: the operation ends on the
 * restarted gateway. Answers the finished operation and the status the step had when the gateway was killed.
 */
async function runKilledIn(s: SwitchStack, path: '/v1/failovers' | '/v1/rejoins', body: object, step: string) {
  const res = await s.api.POST(path, { body: body as never })
  expect(res.response.status, JSON.stringify(res.error)).toBe(202)
  const id = (res.data as Operation).id
  // A step that only writes the store is over in a few milliseconds: it is hit once it is running or has just
  // ended (the kill then lands at its boundary); the others are hit while running.
  // The failover's preflight takes the plan its request made an instant before: it is hit by a kill right after
  // the request (the restarted gateway then judges the primary again, with a watch that starts over).
  const first = path === '/v1/failovers' && step === 'preflight'
  const seen = await waitForOperation(s, id, (op) => first || stepOf(op, step)?.status !== 'pending', 30_000)
  await s.restartGateway('SIGKILL')
  // The interrupted step was slow; the resumed run need not be.
  for (const c of Object.values(s.clusters)) c.faults.setLatency(0)
  const done = await waitForOperation(s, id, undefined, 60_000)
  expect(done.state, `${step}: ${JSON.stringify(done.error)}`).toBe('succeeded')
  expect(done.steps.every((st) => st.status === 'succeeded')).toBe(true)
  return { done, killedWhile: stepOf(seen, step)?.status }
}

/** The lines one cluster's emulator logged since `from` that contain `what`. */
const events = (s: SwitchStack, from: number, cluster: string, what: string) =>
  s.simEvents.slice(from).filter((e) => e.startsWith(`${cluster}: `) && e.includes(what))

describe('SIGKILL of the gateway in the middle of each failover and rejoin step, then a restart', () => {
  // Two stacks share the seven failover steps (each one far from the test timeout); each meets every rejoin step.
  it.each([
    [0, 4],
    [4, 7],
  ])(
    'failover steps %i to %i, a rejoin step each: one DR primary, the promote sent once, the fence once, no two primaries',
    async (first, end) => {
      stack = await startSwitchStack({ clusters: 3, gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200' } })
      const s = stack
      secrets.push(...s.secrets)
      const rotated = await s.api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
        params: { path: { secondary: 'dc2' } },
      })
      expect(rotated.response.status).toBe(200)
      const sampler = startWriteSampler(s)
      const killed: string[] = []
      // Each round fails over between dc1 and dc2 (the lost one rejoins), so one stack serves every step.
      let [from, to] = ['dc1', 'dc2']
      for (let round = first; round < end; round++) {
        const [lost, promoted, dc3] = [clusterOf(s, from), clusterOf(s, to), clusterOf(s, 'dc3')]
        const [fStep, rStep] = [FAILOVER_STEPS[round] as string, REJOIN_STEPS[round % REJOIN_STEPS.length] as string]
        const roundStart = Date.now()
        const mark = s.simEvents.length
        const doublesBefore = sampler.doubles.length

        await lost.faults.isolate('refuse')
        await until(`${from} judged down`, 20_000, async () => {
          const plan = await s.api.POST('/v1/failovers/plan', { body: { to, down_for: '1s' } as never })
          return plan.data?.primary_verdict === 'down'
        })
        for (const c of [promoted, dc3]) c.faults.setLatency(LATENCY_MS)
        const body = { to, down_for: '1s', allow_data_loss: true }
        const failover = await runKilledIn(s, '/v1/failovers', body, fStep)
        killed.push(`failover ${fStep}: ${failover.killedWhile}`)

        expect(promoted.state().drMode).toBe('primary')
        expect(dc3.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc3' })
        expect(await kvWrite(promoted, s.rootToken, `round/${round}`)).toBe(true)
        // The promoted cluster rejoined in the round before: it streamed what its primary took then.
        if (round > first) expect(await kvRead(promoted, s.rootToken, `round/${round - 1}`)).toBe(`round/${round - 1}`)
        expect(events(s, mark, to, 'dr: promoted to primary')).toHaveLength(1)
        expect(events(s, mark, 'dc3', 'dr: secondary re-pointed')).toHaveLength(1)
        const fence = fenceOf(s, from)
        expect(fence?.failover_id).toBe(failover.done.id)
        const fenceStep = stepOf(failover.done, 'fence_old_primary')
        expect(Date.parse(fence?.fenced_at ?? '')).toBeLessThanOrEqual(Date.parse(fenceStep?.finished_at ?? ''))
        // The epoch the step names is the promote's (or a later one), not the one the fence was written before it at.
        const named = Number(/agents refuse calls older than epoch (\d+)/.exec(fenceStep?.detail ?? '')?.[1])
        expect(named).toBeGreaterThanOrEqual(fence?.epoch ?? Number.POSITIVE_INFINITY)
        expect(sampler.doubles.length, sampler.doubles.join('; ')).toBe(doublesBefore)

        // The site returns: the only window with two primaries, until the gateway demotes the old one.
        const back = Date.now()
        await lost.faults.rejoin()
        await until(`${from} demoted`, 10_000, () => lost.state().drMode === 'secondary')
        const window = Date.now() - back
        const demotedRound = sampler.rounds()
        // The round under way may have had two primaries before the demote; none begun after it may.
        await sampler.flush()
        expect(sampler.doublesFrom(demotedRound)).toEqual([])
        expect(window).toBeLessThan(3_000)
        expect(events(s, mark, from, 'dr: demoted to secondary')).toHaveLength(1)
        const doublesAfterDemote = sampler.doubles.length

        for (const c of [lost, promoted]) c.faults.setLatency(LATENCY_MS)
        const rejoin = await runKilledIn(s, '/v1/rejoins', { cluster: from }, rStep)
        killed.push(`rejoin ${rStep}: ${rejoin.killedWhile}`)
        expect(lost.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: from })
        expect(events(s, mark, from, 'dr: secondary re-pointed')).toHaveLength(1)
        expect(events(s, mark, from, 'dr: promoted')).toHaveLength(0)
        expect(fenceOf(s, from)).toBeUndefined()
        expect(fenceEntryOf(s, from)?.ended_failover_id).toBe(failover.done.id)
        expect(sampler.doubles.length, sampler.doubles.join('; ')).toBe(doublesAfterDemote)
        console.log(`round ${round} (${fStep}, ${rStep}) took ${Date.now() - roundStart} ms`)
        ;[from, to] = [to, from]
      }
      await sampler.stop()
      console.log(`gateway killed while: ${killed.join(', ')}`)
      // Every step that calls an agent or Vault was hit while running; only the store-only ones may be hit at their end.
      const atBoundary = killed.filter((k) => !k.endsWith(': running')).map((k) => k.slice(0, k.lastIndexOf(':')))
      for (const k of atBoundary) expect(STORE_ONLY, killed.join(', ')).toContain(k)
    },
  )
})
