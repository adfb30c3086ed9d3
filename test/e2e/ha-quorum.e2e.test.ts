import { setTimeout as sleep } from 'node:timers/promises'
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
  until,
  waitForOperation,
} from './switchover-stack.ts'

const LEASE_MS = 2_000
const DEMOTE = '/v1/sys/replication/dr/primary/demote'
const STORE_UNAVAILABLE = 'GATEWAY_ERR_STORE_UNAVAILABLE'

const secrets: string[] = []
let stack: SwitchStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

type Gateway = SwitchStack['gateways'][number]
type Step = Operation['steps'][number]

/** The operation's step events as stored, replayed from the first (it has finished, so the stream ends). */
async function stepEvents(gw: Gateway, id: string): Promise<Array<{ seq: number; step: Step }>> {
  const res = await gw.api.GET('/v1/operations/{id}/events', {
    params: { path: { id }, header: { 'last-event-id': '0' } },
    parseAs: 'text',
  })
  if (typeof res.data !== 'string') throw new Error(`streamOperation answered ${res.response.status}`)
  const field = (block: string, name: string) =>
    block
      .split('\n')
      .find((line) => line.startsWith(`${name}: `))
      ?.slice(name.length + 2)
  return res.data
    .split('\n\n')
    .filter((block) => field(block, 'event') === 'step')
    .map((block) => ({ seq: Number(field(block, 'id')), step: JSON.parse(field(block, 'data') ?? '{}').step as Step }))
}

/** Whether a gateway's log says its run of the operation ended (its lease ran out, or a write failed). */
const runEnded = (gw: Gateway, id: string) =>
  gw.service.output.some((l) => l.includes(id) && (l.includes('lease lost') || l.includes('run failed')))

const at = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso))

describe('two gateways on a three-member etcd, two members stopped in the middle of a switchover', () => {
  it('while the quorum is gone nothing advances and both answer 503 with a code; once it is back the switchover resumes and succeeds exactly once', async () => {
    stack = await startSwitchStack({
      store: 'etcd',
      gateways: 2,
      vaultGates: true,
      gatewayEnv: { VAULT_DR_LEASE_MS: String(LEASE_MS) },
    })
    const s = stack
    secrets.push(...s.secrets)
    const etcd = s.etcd as NonNullable<SwitchStack['etcd']>
    const gate = s.vaultGates?.dc1
    if (gate === undefined) throw new Error('the stack should have vault gates')
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]
    for (let i = 0; i < 5; i++) expect(await kvWrite(dc1, s.rootToken, `before/${i}`)).toBe(true)

    // dc1's demote waits at its gate: the switchover is in the middle of demote_primary, dc1 still the primary.
    gate.hold((path) => path === DEMOTE)
    const sampler = startWriteSampler(s)
    const created = await s.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    expect(created.response.status, JSON.stringify(created.error)).toBe(202)
    const id = (created.data as Operation).id
    await gate.waiting()

    await etcd.stop(1)
    await etcd.stop(2)
    const gone = Date.now()
    const simEventsAtLoss = s.simEvents.length
    const roles = new Set<string>()
    let watching = true
    const watch = (async () => {
      while (watching) {
        roles.add(`dc1 ${dc1.state().drMode}, dc2 ${dc2.state().drMode}`)
        await sleep(50)
      }
    })()
    let back = Number.POSITIVE_INFINITY
    try {
      await Promise.all(
        s.gateways.map(async (gw) => {
          const refused = await gw.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
          expect(refused.response.status).toBe(503)
          expect(refused.response.headers.get('content-type')).toContain('application/problem+json')
          expect(refused.error).toMatchObject({ code: STORE_UNAVAILABLE, fix: expect.stringContaining('etcd members') })
          const ready = await gw.api.GET('/readyz')
          expect(ready.response.status).toBe(503)
          const store = (ready.error as { checks?: Array<{ name: string; detail: string }> }).checks?.find(
            (c) => c.name === 'store',
          )
          expect(store?.detail).toMatch(new RegExp(`^${STORE_UNAVAILABLE}: `))
        }),
      )
      // The run that sent the demote has ended; the demote is lost on the way (it never reaches dc1's Vault). Two
      // scans of each gateway more: none may pick the switchover up while the quorum is gone.
      await until('the running gateway to give the switchover up', 30_000, () =>
        s.gateways.some((g) => runEnded(g, id)),
      )
      gate.drop()
      await sleep(2 * LEASE_MS)
    } finally {
      watching = false
      await watch
      back = Date.now()
      etcd.start(1)
      etcd.start(2)
    }
    const whileGone = s.simEvents.slice(simEventsAtLoss)

    const done = await waitForOperation(s, id)
    await sampler.stop()
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    // While the quorum was gone: neither cluster changed role, and the operation's record did not move.
    expect([...roles]).toEqual(['dc1 primary, dc2 secondary'])
    expect(whileGone.filter((e) => /demoted|promoted|re-pointed/.test(e))).toEqual([])
    const [preflight, demote, ...rest] = done.steps as [Step, Step, ...Step[]]
    expect(at(preflight.finished_at)).toBeLessThan(gone)
    for (const step of [demote, ...rest]) expect(at(step.started_at), step.name).toBeGreaterThanOrEqual(back)
    const events = await stepEvents(s.gateways[1] as Gateway, id)
    const stamps = events.flatMap((e) => [at(e.step.started_at), at(e.step.finished_at)]).filter(Number.isFinite)
    expect(stamps.filter((t) => t > gone && t < back)).toEqual([])
    // demote_primary was written running before the loss, and again only once the quorum was back (resumed, by
    // either gateway); every step succeeded exactly once.
    const [first, ...resumed] = events.filter((e) => e.step.name === 'demote_primary' && e.step.status === 'running')
    expect(at(first?.step.started_at ?? null)).toBeLessThan(gone)
    expect(resumed.length).toBeGreaterThan(0)
    for (const e of resumed) expect(e.step).toMatchObject({ detail: 'resumed after a restart' })
    for (const e of resumed) expect(at(e.step.started_at)).toBeGreaterThanOrEqual(back)
    const succeeded = events.filter((e) => e.step.status === 'succeeded').map((e) => e.step.name)
    expect(succeeded).toEqual(done.steps.map((st) => st.name))
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b))

    // Exactly once on the clusters: one demote, one promote, one re-point; one primary at every moment.
    const simEvents = (what: string) => s.simEvents.filter((e) => e.includes(what))
    expect(simEvents('demoted to secondary')).toHaveLength(1)
    expect(simEvents('promoted to primary')).toHaveLength(1)
    expect(simEvents('re-pointed to a new primary')).toHaveLength(1)
    expect(sampler.doubles).toEqual([])
    expect(dc2.state().drMode).toBe('primary')
    expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
    // Writes made before and during the switchover are on the new primary.
    for (let i = 0; i < 5; i++) expect(await kvRead(dc2, s.rootToken, `before/${i}`)).toBe(`before/${i}`)
    expect(sampler.accepted.dc1?.length).toBeGreaterThan(0)
    for (const path of [...(sampler.accepted.dc1 ?? []), ...(sampler.accepted.dc2 ?? [])]) {
      expect(await kvRead(dc2, s.rootToken, path)).toBe(path)
    }
    // Both gateways are ready again and see the same finished switchover.
    for (const gw of s.gateways) {
      await until('the gateway ready again', 30_000, async () => (await gw.api.GET('/readyz')).response.ok)
      const seen = await gw.api.GET('/v1/operations/{id}', { params: { path: { id } } })
      expect(seen.data).toMatchObject({ state: 'succeeded', finished_at: done.finished_at })
    }
  }, 120_000)
})
