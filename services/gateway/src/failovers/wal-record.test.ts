import { describe, expect, it } from 'vitest'
import { STORE_KINDS, useGatewayFixture } from '../../test/helpers/gateway-fixture.ts'
import { lossSeen } from './failover-planner.ts'
import { VantageHistory } from './vantage-history.ts'
import type { VantagePoint, VantageView } from './vantage-points.ts'
import { mergeWal, readWal, type WalMeta, walKey } from './wal-record.ts'

const T = Date.parse('2026-12-05T00:00:00Z')
const s = (n: number) => T + n * 1_000
const view = (point: VantagePoint, reaches: boolean | null, lostAt?: number): VantageView => ({
  point,
  reaches,
  detail: `${point} ${reaches}`,
  ...(lostAt === undefined ? {} : { lostAt }),
})
const reachable = [view('gateway', true), view('primary_agent', true), view('secondary_vault', true)]
const lost = [view('gateway', false), view('primary_agent', null), view('secondary_vault', false)]

/** A store's meta that counts its writes (and can be made to fail). */
function countingMeta() {
  const meta = new Map<string, string>()
  const store = {
    writes: 0,
    failNext: false,
    getMeta: async (k: string) => meta.get(k),
    async setMeta(k: string, v: string) {
      if (store.failNext) {
        store.failNext = false
        throw new Error('store unavailable')
      }
      store.writes++
      meta.set(k, v)
    },
  }
  return store
}

/** One upkeep round of a gateway: the primary read (when reachable) and the vantage points tracked. */
function round(history: VantageHistory, at: number, views: VantageView[], wal?: number) {
  if (wal !== undefined) history.sawWal('dc1', wal, at)
  return history.track('dc1', views, at)
}

describe('mergeWal', () => {
  it('keeps the newer read with its loss, and a loss the other side saw only when after that read', () => {
    const older = { last_wal: 40, at: s(0), lost_since: s(1), alive_at: null }
    const newer = { last_wal: 43, at: s(10), lost_since: null, alive_at: null }
    expect(mergeWal(older, newer)).toEqual(newer)
    expect(mergeWal(newer, { ...older, lost_since: s(12) })).toEqual({ ...newer, lost_since: s(12) })
    expect(mergeWal({ ...newer, lost_since: s(30) }, { ...older, lost_since: s(20) })).toEqual({
      ...newer,
      lost_since: s(20),
    })
    expect(mergeWal(undefined, older)).toEqual(older)
    expect(mergeWal(newer, undefined)).toEqual(newer)
    // The later sign of life wins, whichever reading it came with: the primary may have written until then.
    expect(mergeWal({ ...newer, alive_at: s(11) }, { ...older, alive_at: s(25) })).toMatchObject({ alive_at: s(25) })
  })
})

describe("the primary's last WAL kept in the store", () => {
  it('writes the first reading, not an unchanged WAL again, a changed one once per everyMs, and every change of the loss at once', async () => {
    const store = countingMeta()
    const history = new VantageHistory({ store, everyMs: 60_000 })
    round(history, s(0), reachable, 40)
    await history.flush()
    expect(store.writes).toBe(1)
    for (let i = 1; i <= 5; i++) round(history, s(i * 10), reachable, 40)
    await history.flush()
    expect(store.writes).toBe(1)
    round(history, s(55), reachable, 43)
    await history.flush()
    expect(store.writes).toBe(1)
    round(history, s(70), reachable, 44)
    await history.flush()
    expect(store.writes).toBe(2)
    round(history, s(80), reachable, 45)
    // The site is lost: the last read (45 at 80 s) is written at once, with since when it is lost.
    round(history, s(90), lost)
    await history.flush()
    expect(store.writes).toBe(3)
    expect(await readWal(store, 'dc1')).toEqual({ last_wal: 45, at: s(80), lost_since: s(90), alive_at: s(80) })
    for (let i = 10; i < 15; i++) round(history, s(i * 10), lost)
    await history.flush()
    expect(store.writes).toBe(3)
    // It answers again: the loss is over.
    round(history, s(200), reachable, 46)
    await history.flush()
    expect(store.writes).toBe(4)
    expect(await readWal(store, 'dc1')).toEqual({ last_wal: 46, at: s(200), lost_since: null, alive_at: s(200) })
  })

  it('writes again at the next reading when a write failed', async () => {
    const store = countingMeta()
    const history = new VantageHistory({ store, everyMs: 60_000 })
    store.failNext = true
    round(history, s(0), reachable, 40)
    await history.flush()
    expect(await readWal(store, 'dc1')).toBeUndefined()
    round(history, s(10), reachable, 40)
    await history.flush()
    expect(await readWal(store, 'dc1')).toEqual({ last_wal: 40, at: s(10), lost_since: null, alive_at: s(10) })
  })

  it('never replaces a newer reading of another gateway with an older one of its own', async () => {
    const store = countingMeta()
    const early = new VantageHistory({ store })
    const late = new VantageHistory({ store })
    round(late, s(20), reachable, 43)
    await late.flush()
    round(early, s(10), reachable, 41)
    await early.flush()
    expect(await readWal(store, 'dc1')).toMatchObject({ last_wal: 43, at: s(20) })
    expect(await early.lastWal('dc1')).toMatchObject({ last_wal: 43, at: s(20) })
  })

  it('ignores a record it cannot read', async () => {
    const store: WalMeta = countingMeta()
    await store.setMeta(walKey('dc1'), '{"cluster":"dc1","last_wal":"x"}')
    expect(await new VantageHistory({ store }).lastWal('dc1')).toBeUndefined()
  })
})

describe.each(STORE_KINDS)('the loss estimate across a gateway restart and between gateways, on %s', (kind) => {
  const fx = useGatewayFixture(kind)
  // The secondary reports no heartbeat: the estimate is known only if the read came within a round of the loss.
  const secondary = { last_remote_wal: 43, heartbeat_age_s: null }
  const maxGapMs = 65_000

  /** The gateway that watched: the primary read at 0 and 30 s (the second WAL not written yet), lost at 40 s. */
  async function watched() {
    const store = fx.openStore()
    const history = new VantageHistory({ store, everyMs: 60_000 })
    round(history, s(0), reachable, 40)
    round(history, s(30), reachable, 45)
    round(history, s(40), lost)
    await history.flush()
    return { store, history }
  }

  it('is the same, with the same age, after the gateway restarts and from another gateway on the store', async () => {
    const { store, history } = await watched()
    const at = s(300)
    const before = await lossSeen(history, 'dc1', secondary, round(history, at, lost), at, maxGapMs)
    expect(before).toMatchObject({
      wals: 2,
      primary_last_wal: 45,
      secondary_last_remote_wal: 43,
      comparison_age_s: 270,
    })
    await store.close()

    // A new process on the same store (a restart, or a second gateway) has not read the primary since it was lost.
    const again = fx.openStore()
    try {
      const restarted = new VantageHistory({ store: again })
      const after = await lossSeen(restarted, 'dc1', secondary, round(restarted, at, lost), at, maxGapMs)
      expect(after).toEqual(before)
      // Without the store it would not know: the failover would be refused DATA_LOSS_UNKNOWN.
      const memoryOnly = new VantageHistory()
      const unknown = await lossSeen(memoryOnly, 'dc1', secondary, round(memoryOnly, at, lost), at, maxGapMs)
      expect(unknown.wals).toBeNull()
    } finally {
      await again.close()
    }
  })

  it('takes the newer reading when another gateway read the primary too, earlier', async () => {
    const { store } = await watched()
    const other = fx.openStore()
    try {
      const history = new VantageHistory({ store: other })
      round(history, s(5), reachable, 41)
      round(history, s(50), lost)
      await history.flush()
      const at = s(120)
      const estimate = await lossSeen(history, 'dc1', secondary, round(history, at, lost), at, maxGapMs)
      expect(estimate).toMatchObject({ wals: 2, primary_last_wal: 45, comparison_age_s: 90 })
      expect(await readWal(other, 'dc1')).toEqual({ last_wal: 45, at: s(30), lost_since: s(40), alive_at: s(30) })
    } finally {
      await other.close()
      await store.close()
    }
  })
})
