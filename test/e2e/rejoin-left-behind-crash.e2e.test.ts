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
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const STEPS = ['preflight', 'rejoin_old_primary', 'record_pair']
/** Added to every Vault answer until the gateway is killed, so the steps that call Vault last long enough to be hit. */
const LATENCY_MS = 150

/** The lines one cluster's emulator logged since `from` that contain `what`. */
const events = (s: SwitchStack, from: number, cluster: string, what: string) =>
  s.simEvents.slice(from).filter((e) => e.startsWith(`${cluster}: `) && e.includes(what))

describe('SIGKILL of the gateway in the middle of each step of the rejoin of a cluster a failed switchover left behind', () => {
  it('each step in turn: the old primary re-pointed once, without a wipe, one primary throughout', async () => {
    stack = await startSwitchStack({ vaultGates: true })
    const s = stack
    secrets.push(...s.secrets)
    const sampler = startWriteSampler(s)
    const killed: string[] = []
    let [from, to] = ['dc1', 'dc2']
    for (const step of STEPS) {
      const [old, promoted] = [clusterOf(s, from), clusterOf(s, to)]
      const gate = s.vaultGates?.[from]
      if (gate === undefined) throw new Error(`the stack has no gate in front of ${from}`)
      const mark = s.simEvents.length
      expect(await kvWrite(old, s.rootToken, `before/${step}`)).toBe(true)

      // A switchover whose re-pointing of the old primary Vault refuses: `to` is the primary, `from` left behind.
      gate.hold((path) => path === '/v1/sys/replication/dr/secondary/update-primary')
      const switched = await s.api.POST('/v1/switchovers', { body: { to } as never })
      await gate.waiting()
      gate.refuse(400, ['error fetching secondary bootstrap package: primary rejected the token'])
      const failed = await waitForOperation(s, switched.data?.id as string)
      expect(stepOf(failed, 'rejoin_old_primary')?.status).toBe('failed')
      expect(promoted.state().drMode).toBe('primary')

      for (const c of [old, promoted]) c.faults.setLatency(LATENCY_MS)
      const res = await s.api.POST('/v1/rejoins', { body: { cluster: from } })
      expect(res.response.status, JSON.stringify(res.error)).toBe(202)
      const id = (res.data as Operation).id
      // record_pair only writes the store: it is hit running or at its end; the others while running.
      const seen = await waitForOperation(s, id, (op) => stepOf(op, step)?.status !== 'pending', 30_000)
      await s.restartGateway('SIGKILL')
      for (const c of [old, promoted]) c.faults.setLatency(0)
      killed.push(`${step}: ${stepOf(seen, step)?.status}`)

      const done = await waitForOperation(s, id, undefined, 60_000)
      expect(done.state, `${step}: ${JSON.stringify(done.error)}`).toBe('succeeded')
      expect(done.steps.map((st) => st.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
      expect(done.subject).toMatchObject({ cluster: from, primary: to, left_by: failed.id })
      expect(old.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: from })
      // Re-pointed once by the rejoin (the switchover's attempt was refused before Vault), never wiped or promoted.
      expect(events(s, mark, from, 're-pointed to a new primary')).toHaveLength(1)
      expect(events(s, mark, from, 'enabled as secondary')).toEqual([])
      expect(events(s, mark, from, 'promoted to primary')).toEqual([])
      expect(await kvRead(promoted, s.rootToken, `before/${step}`)).toBe(`before/${step}`)
      const pairs = await s.api.GET('/v1/pairs')
      expect(pairs.data?.pairs.map((p) => [p.secondary, p.primary])).toEqual([[from, to]])
      ;[from, to] = [to, from]
    }
    await sampler.stop()
    console.log(`gateway killed while: ${killed.join(', ')}`)
    for (const k of killed.filter((k) => !k.startsWith('record_pair'))) expect(k).toMatch(/: running$/)
    expect(sampler.doubles).toEqual([])
  })
})
