import { afterEach, describe, expect, it } from 'vitest'
import type { Store } from '../src/store/store.ts'
import { createHandshake, registerPair, until, waitFor } from './helpers/gateway.ts'
import { STORE_KINDS, useGatewayFixture } from './helpers/gateway-fixture.ts'
import { mortalStore } from './helpers/mortal-store.ts'
import { storeWith } from './helpers/store-with.ts'

/** Long against the promised second, so that a scan once per lease (the old pace) cannot meet the bound. */
const LEASE_MS = 3_000
const BOUND_MS = LEASE_MS + 1_000
/** The last renewal of the dying gateway comes at least this long after a scan of the other one. */
const AFTER_SCAN_MS = 300

/**
 * A store whose gateway dies right after a lease renewal: once `dieAfterRenewalFrom(t)` was called, the first renewal
 * started at or after `t` goes through, and from then on no call reaches the store and none answers (its lease is
 * neither renewed again nor released). `renewedUntil` is the lease end that renewal wrote.
 */
function dyingAfterRenewal(inner: Store) {
  const state = { from: Number.POSITIVE_INFINITY, renewedUntil: 0 }
  const { store, bury, isDead } = mortalStore(inner, (method, args) => {
    if (method !== 'renew' || Date.now() < state.from) return false
    state.renewedUntil = args[2] as number
    return true
  })
  return {
    store,
    state,
    dieAfterRenewalFrom: (at: number) => {
      state.from = at
    },
    bury,
    isDead,
  }
}

/** A store that notes each scan for resumable handshakes: the time it judges leases by, and what it found. */
function scanWatched(inner: Store) {
  const scans: Array<{ at: number; ids?: string[] }> = []
  const store = storeWith(inner, {
    resumable: async (resumable, owner, now, ownName) => {
      const scan: { at: number; ids?: string[] } = { at: now }
      scans.push(scan)
      const records = await resumable(owner, now, ownName)
      scan.ids = records.map((r) => r.id)
      return records
    },
  })
  return { store, scans }
}

const SUITE = 'a handshake whose gateway stops renewing its lease (fake agents, two gateways on one %s store)'

describe.each(STORE_KINDS)(SUITE, (kind) => {
  const fx = useGatewayFixture(kind)
  // Registered after the fixture's, so it runs before it: the dead gateway's calls end before its gateway is closed.
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })
  const env = (id: string) => ({ VAULT_DR_LEASE_MS: String(LEASE_MS), VAULT_DR_GATEWAY_ID: id })

  it('is taken over by the other within the lease time plus a second of the last renewal, never before', async () => {
    const innerA = fx.openStore()
    const innerB = fx.openStore()
    const a = dyingAfterRenewal(innerA)
    const b = scanWatched(innerB)
    const parked = { at: 0, release: () => {} }
    const park = new Promise<void>((resolve) => {
      parked.release = resolve
    })
    cleanups.push(() => {
      a.bury()
      parked.release()
    })
    const gwA = await fx.gateway(
      {
        store: a.store,
        stopGraceMs: 0,
        hooks: {
          beforeStep: (_id, step) => {
            if (step !== 'mint_token' || parked.at > 0) return undefined
            parked.at = Date.now()
            return park
          },
        },
      },
      env('gw-a'),
    )
    await registerPair(gwA.app)
    const id = (await createHandshake(gwA.app)).json().id as string
    await until(() => parked.at > 0, 'gateway A to hold the handshake at mint_token')

    const first = { step: '', at: 0 }
    const gwB = await fx.gateway(
      {
        store: b.store,
        hooks: {
          beforeStep: (_id, step) => {
            if (first.at === 0) Object.assign(first, { step, at: Date.now() })
          },
        },
      },
      env('gw-b'),
    )
    cleanups.push(async () => {
      await Promise.all([fx.close(gwA), fx.close(gwB)])
      await Promise.all([innerA.close(), innerB.close()])
    })
    await until(() => b.scans.length > 0, 'gateway B to scan for handshakes to take over')
    // A dies after a renewal that follows a scan of B: a gateway scanning once per lease would next look a whole
    // lease after that scan, when A's lease has not run out yet, and find it only one more lease later.
    a.dieAfterRenewalFrom((b.scans[0]?.at ?? 0) + AFTER_SCAN_MS)
    await until(() => a.isDead(), 'gateway A to renew its lease once more and die', LEASE_MS)

    const hs = await waitFor(gwB.app, id, ['succeeded', 'failed', 'cancelled'], 3 * LEASE_MS)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(first.step).toBe('mint_token')
    const lastRenewal = a.state.renewedUntil - LEASE_MS
    expect(first.at).toBeGreaterThanOrEqual(a.state.renewedUntil)
    // Within the bound by B's pace, not by the store's speed: no scan found it before the lease ran out, the first
    // scan that judged by a later time found it, and that scan began within the bound (B looks every quarter second).
    const afterLease = b.scans.filter((scan) => scan.at > a.state.renewedUntil)
    expect(b.scans.filter((scan) => scan.at <= a.state.renewedUntil && scan.ids?.includes(id))).toEqual([])
    expect(afterLease[0]?.ids).toContain(id)
    const takeover = (afterLease[0]?.at ?? Number.NaN) - lastRenewal
    expect(takeover, `found ${takeover} ms after the last renewal (lease ${LEASE_MS} ms)`).toBeLessThanOrEqual(BOUND_MS)
    expect(fx.world.minted).toHaveLength(1)
    expect(fx.world.activations).toBe(1)
  })
})
