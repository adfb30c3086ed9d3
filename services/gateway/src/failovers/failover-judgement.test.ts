import { describe, expect, it } from 'vitest'
import { estimateLoss } from './data-loss.ts'
import { lossSeen } from './failover-planner.ts'
import { judgePrimary } from './primary-down.ts'
import { type TrackedView, VantageHistory } from './vantage-history.ts'
import type { VantagePoint, VantageView } from './vantage-points.ts'

const T0 = Date.parse('2026-12-05T00:00:00Z')
const view = (point: VantagePoint, reaches: boolean | null, extra: Partial<VantageView> = {}): VantageView => ({
  point,
  reaches,
  detail: `${point} ${reaches}`,
  ...extra,
})
const tracked = (views: VantageView[], sinceMsAgo: number, now = T0 + 120_000): TrackedView[] =>
  views.map((v) => ({ ...v, since: new Date(now - sinceMsAgo).toISOString() }))

describe('judgePrimary', () => {
  const now = T0 + 120_000
  it('calls a primary its gateway and agent reach healthy, even when the DR site cannot see it (a partition)', () => {
    const views = tracked(
      [
        view('gateway', true),
        view('primary_agent', true),
        view('secondary_agent', false),
        view('secondary_vault', false),
      ],
      90_000,
    )
    const verdict = judgePrimary(views, now, 30_000)
    expect(verdict.verdict).toBe('healthy')
    expect(verdict.detail).toContain('partition')
  })

  it('needs two vantage points for longer than down_for', () => {
    const lost = [
      view('gateway', false),
      view('primary_agent', null),
      view('secondary_agent', false),
      view('secondary_vault', true),
    ]
    expect(judgePrimary(tracked(lost, 10_000), now, 30_000).verdict).toBe('not_down')
    expect(judgePrimary(tracked(lost, 31_000), now, 30_000)).toMatchObject({ verdict: 'down' })
    const one = [
      view('gateway', false),
      view('primary_agent', null),
      view('secondary_agent', true),
      view('secondary_vault', true),
    ]
    const verdict = judgePrimary(tracked(one, 600_000), now, 30_000)
    expect(verdict).toMatchObject({ verdict: 'not_down' })
    expect(verdict.detail).toContain('only gateway')
  })

  it('takes the agent reporting its Vault sealed or gone as enough, once down_for has passed', () => {
    const sealed = [view('gateway', true), view('primary_agent', false, { gone: true }), view('secondary_vault', true)]
    expect(judgePrimary(tracked(sealed, 5_000), now, 30_000).verdict).toBe('not_down')
    expect(judgePrimary(tracked(sealed, 40_000), now, 30_000).verdict).toBe('down')
  })

  it('waits, past down_for, until a self-fencing primary has demoted itself: counted from its last loss of contact', () => {
    const at = (gatewayLostMsAgo: number) => [
      { ...view('gateway', false), since: new Date(now - gatewayLostMsAgo).toISOString() },
      { ...view('primary_agent', null), since: new Date(now - gatewayLostMsAgo).toISOString() },
      ...tracked([view('secondary_agent', false), view('secondary_vault', false)], 90_000),
    ]
    const quiet = { streaming: [], unknown: [], lostSince: null }
    const fence = { withinMs: 75_000, followers: quiet }
    // The DR site lost it 90 s ago, the gateway 40 s ago: its agent demotes it only 75 s after that.
    const early = judgePrimary(at(40_000), now, 30_000, fence)
    expect(early).toMatchObject({ verdict: 'not_down', fix: expect.stringContaining('Wait 35 s') })
    expect(early.detail).toContain(
      'demotes it itself only 75 s after it is cut off from both the gateway and every DR secondary, 40 s ago',
    )
    // The other way round: the gateway lost it 90 s ago, the stream broke 40 s ago: its agent counts from the later.
    const streamLater = [
      ...tracked([view('gateway', false), view('primary_agent', null), view('secondary_agent', false)], 90_000),
      { ...view('secondary_vault', false), since: new Date(now - 40_000).toISOString() },
    ]
    expect(judgePrimary(streamLater, now, 30_000, fence)).toMatchObject({
      verdict: 'not_down',
      fix: expect.stringContaining('Wait 35 s'),
    })
    // A secondary still streaming from it keeps its agent from fencing it: no wait ends that.
    const streaming = tracked(
      [
        view('gateway', false),
        view('primary_agent', null),
        view('secondary_agent', false),
        view('secondary_vault', true),
      ],
      600_000,
    )
    const held = judgePrimary(streaming, now, 30_000, fence)
    expect(held).toMatchObject({ verdict: 'not_down' })
    expect(held.detail).toContain(
      'only once every DR secondary is disconnected, and its secondary still streams from it',
    )
    // Nor does a wait end while another of its DR secondaries (dc3, in its site) still streams from it.
    const dc3 = judgePrimary(at(600_000), now, 30_000, { ...fence, followers: { ...quiet, streaming: ['dc3'] } })
    expect(dc3).toMatchObject({ verdict: 'not_down', detail: expect.stringContaining('dc3 still streams from it') })
    expect(judgePrimary(at(76_000), now, 30_000, fence)).toMatchObject({ verdict: 'down' })
    // dc3, another DR secondary of it, lost its stream 10 s ago (the others long before): counted from then.
    const dc3Lost = { ...fence, followers: { ...quiet, lostSince: now - 10_000 } }
    expect(judgePrimary(at(600_000), now, 30_000, dc3Lost)).toMatchObject({
      verdict: 'not_down',
      fix: expect.stringContaining('Wait 65 s'),
    })
    // Without self-fencing, down_for alone decides (the plan warns instead).
    expect(judgePrimary(at(40_000), now, 30_000)).toMatchObject({ verdict: 'down' })
    // An agent that answers the gateway with its Vault gone gets the gateway's fence: no wait for a self-fence.
    const gone = [view('gateway', true), view('primary_agent', false, { gone: true }), view('secondary_vault', false)]
    expect(judgePrimary(tracked(gone, 40_000), now, 30_000, fence).verdict).toBe('down')
  })

  it("is not down while another gateway on the store still reaches it; a self-fence wait counts from that gateway's last contact", () => {
    const lost = tracked(
      [
        view('gateway', false),
        view('primary_agent', null),
        view('secondary_agent', false),
        view('secondary_vault', false),
      ],
      600_000,
    )
    // gw-a, in the primary's site, reached it 2 s ago: the sites are cut apart, the primary is not lost.
    const peer = (at: number, more: { live?: boolean; own?: boolean } = {}) => ({
      gateway: more.own === true ? 'gw-b' : 'gw-a',
      at,
      live: more.live ?? true,
      own: more.own ?? false,
    })
    const partition = judgePrimary(lost, now, 30_000, null, [peer(now - 2_000)])
    expect(partition).toMatchObject({ verdict: 'not_down', detail: expect.stringContaining('gw-a 2 s ago') })
    expect(partition.detail).toContain('a partition between the gateways')
    expect(partition).toMatchObject({ fix: expect.stringContaining('two primaries') })
    // Its last contact 30 s ago (its site lost too): down_for decides again, and a self-fence waits from that contact.
    const stale = [peer(now - 30_000)]
    expect(judgePrimary(lost, now, 30_000, null, stale)).toMatchObject({ verdict: 'down' })
    const fence = { withinMs: 75_000, followers: { streaming: [], unknown: [], lostSince: null } }
    expect(judgePrimary(lost, now, 30_000, fence, stale)).toMatchObject({
      verdict: 'not_down',
      fix: expect.stringContaining('Wait 45 s'),
    })
    expect(judgePrimary(lost, now, 30_000, fence, [peer(now - 80_000)]).verdict).toBe('down')
    // This gateway's own contact 2 s ago, or another's whose Vault did not answer as a primary: not a partition
    // verdict, but the agent counted each as contact, so a self-fence waits from it.
    for (const recent of [peer(now - 2_000, { own: true }), peer(now - 2_000, { live: false })]) {
      expect(judgePrimary(lost, now, 30_000, null, [recent]).verdict).toBe('down')
      expect(judgePrimary(lost, now, 30_000, fence, [recent])).toMatchObject({
        verdict: 'not_down',
        fix: expect.stringContaining('Wait 73 s'),
      })
    }
  })
})

describe('VantageHistory', () => {
  it('keeps since while a view holds, restarts it when it changes, and dates a lost stream from its last heartbeat', () => {
    const history = new VantageHistory()
    const at = (ms: number) => new Date(T0 + ms).toISOString()
    expect(history.track('dc1', [view('gateway', false)], T0)[0]?.since).toBe(at(0))
    expect(history.track('dc1', [view('gateway', false)], T0 + 5_000)[0]?.since).toBe(at(0))
    expect(history.track('dc1', [view('gateway', true)], T0 + 6_000)[0]?.since).toBe(at(6_000))
    const stream = view('secondary_vault', false, { lostAt: T0 - 50_000 })
    expect(history.track('dc1', [stream], T0 + 7_000)[0]).toMatchObject({ since: at(-50_000) })
    expect(history.track('dc1', [stream], T0 + 7_000)[0]).not.toHaveProperty('lostAt')
  })

  it('starts counting again for a cluster that was not a primary for a while (a switchover and its failback)', async () => {
    const history = new VantageHistory()
    const at = (ms: number) => new Date(T0 + ms).toISOString()
    history.track('dc1', [view('gateway', false)], T0)
    history.sawWal('dc1', 40, T0)
    // dc2 is the primary for an hour; dc1 is not looked at as one meanwhile.
    history.keepOnly(['dc2'])
    expect(await history.lastWal('dc1')).toBeUndefined()
    // dc1 primary again and seen lost for a moment: lost since now, not since an hour ago.
    expect(history.track('dc1', [view('gateway', false)], T0 + 3_600_000)[0]?.since).toBe(at(3_600_000))
    // A primary still listed keeps its history.
    history.keepOnly(['dc1'])
    expect(history.track('dc1', [view('gateway', false)], T0 + 3_605_000)[0]?.since).toBe(at(3_600_000))
  })

  it('keeps the newest WAL reading of a primary', async () => {
    const history = new VantageHistory()
    history.sawWal('dc1', 10, T0 + 2)
    history.sawWal('dc1', 8, T0 + 1)
    expect(await history.lastWal('dc1')).toEqual({ last_wal: 10, at: T0 + 2, lost_since: null, alive_at: T0 + 2 })
  })
})

describe('estimateLoss', () => {
  const now = T0 + 60_000
  const noLoss = { lostSince: null, aliveAt: null, maxGapMs: 10_000 }
  it('is unknown without a reading of the primary, or when the reading and the secondary were both long before its last sign of life', () => {
    expect(estimateLoss(undefined, { last_remote_wal: 5, heartbeat_age_s: 1 }, now, noLoss).wals).toBeNull()
    const read = { last_wal: 9, at: now - 50_000 }
    // Its agent still reached it 20 s ago: 30 s after the reading and the secondary's last word.
    const late = estimateLoss(read, { last_remote_wal: 9, heartbeat_age_s: 55 }, now, {
      lostSince: now - 15_000,
      aliveAt: now - 20_000,
      maxGapMs: 10_000,
    })
    expect(late.wals).toBeNull()
    expect(late.comparison_age_s).toBe(50)
    expect(late.detail).toBe(
      'the primary was last read 50 s ago and the secondary last heard from it 55 s ago, too long before it was last seen alive (20 s ago): what it wrote in between is unknown',
    )
    // Nothing saw it alive after the reading: the reading is its last known state.
    const close = estimateLoss(read, { last_remote_wal: 9, heartbeat_age_s: 55 }, now, {
      lostSince: now - 45_000,
      aliveAt: null,
      maxGapMs: 10_000,
    })
    expect(close.wals).toBe(0)
  })

  it('counts what the secondary lacks when it streamed from the primary until about its last sign of life', () => {
    const lostLater = { lostSince: now - 1_000, aliveAt: now - 3_000, maxGapMs: 10_000 }
    const behind = estimateLoss(
      { last_wal: 12, at: now - 40_000 },
      { last_remote_wal: 9, heartbeat_age_s: 2 },
      now,
      lostLater,
    )
    expect(behind).toMatchObject({ wals: 3, primary_last_wal: 12, secondary_last_remote_wal: 9, comparison_age_s: 40 })
    const even = estimateLoss(
      { last_wal: 12, at: now - 40_000 },
      { last_remote_wal: 12, heartbeat_age_s: 2 },
      now,
      lostLater,
    )
    expect(even.wals).toBe(0)
  })

  it('is unknown when the secondary lost the stream long before the primary was last seen alive, though it heard it after its reading', () => {
    // The primary read at WAL 10, the secondary cut off two seconds later (10 received), the primary seen alive
    // (its agent reaching it) 43 s after that: its writes in between reached no one, so "0 lost" would be a guess.
    const estimate = estimateLoss(
      { last_wal: 10, at: now - 50_000 },
      { last_remote_wal: 10, heartbeat_age_s: 48 },
      now,
      { lostSince: now - 48_000, aliveAt: now - 5_000, maxGapMs: 10_000 },
    )
    expect(estimate.wals).toBeNull()
    // Read again shortly before then (a keeping-in-touch round), its writes are counted.
    const reread = estimateLoss({ last_wal: 15, at: now - 8_000 }, { last_remote_wal: 10, heartbeat_age_s: 48 }, now, {
      lostSince: now - 48_000,
      aliveAt: now - 5_000,
      maxGapMs: 10_000,
    })
    expect(reread.wals).toBe(5)
  })

  it('judges against the last sign of life the vantage points gave, through the history a gateway keeps', async () => {
    const s = (seconds: number) => T0 + seconds * 1000
    const history = new VantageHistory()
    // Read at 0 s (WAL 40); its agent down from 5 s (its Vault serving on); the stream cut at 28 s; the DR site still
    // reached its API at 45 s; the site lost at 50 s.
    history.sawWal('dc1', 40, s(0))
    history.track('dc1', [view('gateway', true), view('primary_agent', true), view('secondary_vault', true)], s(0))
    history.track('dc1', [view('gateway', false), view('primary_agent', null), view('secondary_vault', true)], s(5))
    history.track('dc1', [view('secondary_vault', false, { lostAt: s(28) })], s(30))
    history.track('dc1', [view('secondary_agent', true)], s(45))
    const views = history.track('dc1', [view('gateway', false), view('secondary_agent', false)], s(60))
    const secondary = { last_remote_wal: 42, heartbeat_age_s: 32 }
    const estimate = await lossSeen(history, 'dc1', secondary, views, s(60), 6_000)
    expect(estimate.wals).toBeNull()
    expect(estimate.detail).toContain('too long before it was last seen alive (15 s ago)')
    // Had nothing reached it after the stream was cut, the stream was its last sign of life: what it sent is counted.
    const quiet = new VantageHistory()
    quiet.sawWal('dc1', 40, s(0))
    quiet.track('dc1', [view('gateway', true), view('primary_agent', true), view('secondary_vault', true)], s(0))
    quiet.track('dc1', [view('gateway', false), view('primary_agent', null), view('secondary_vault', true)], s(5))
    // Seen at 38 s as still streaming by its last heartbeat (28 s): alive then, not at 38 s.
    quiet.track('dc1', [view('secondary_vault', true, { aliveAt: s(28) })], s(38))
    quiet.track('dc1', [view('secondary_vault', false, { lostAt: s(28) })], s(40))
    const seen = quiet.track('dc1', [view('gateway', false), view('secondary_agent', false)], s(60))
    expect((await lossSeen(quiet, 'dc1', secondary, seen, s(60), 6_000)).wals).toBe(0)
  })

  it('is the lag now while no vantage point sees the primary lost', () => {
    const now2 = estimateLoss({ last_wal: 12, at: now - 100 }, { last_remote_wal: 10, heartbeat_age_s: 3 }, now, noLoss)
    expect(now2.wals).toBe(2)
  })
})
