import { describe, expect, it } from 'vitest'
import type { AgentClients } from '../agents/agent-clients.ts'
import { SecretBox } from '../store/secret-box.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import type { StoredCluster } from '../store/store.ts'
import { createDrTokenCustody } from './token-custody.ts'

const HOUR = 3_600_000
const primary: StoredCluster = {
  name: 'dc1',
  role: 'primary',
  agent_url: 'http://127.0.0.1:1',
  agent_token_sealed: new Uint8Array(),
  created_at: 'x',
  updated_at: 'x',
}

/** A primary agent that issues numbered 8h tokens for replication set `clusterId`, at the test's clock. */
function world() {
  let clock = Date.parse('2026-12-04T08:00:00.000Z')
  let clusterId = 'set-a'
  let n = 0
  const agents = {
    primary: () => ({
      createDrOperationToken: async () => {
        n += 1
        // An agent call takes a moment: long enough for another gateway to ask meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 30))
        return {
          token: `hvb.token-${n}`,
          policy: 'vault-dr-dr-operation',
          role: 'vault-dr-dr-operation',
          ttl_seconds: 28_800,
          issued_at: new Date(clock).toISOString(),
          expires_at: new Date(clock + 8 * HOUR).toISOString(),
          primary_cluster_id: clusterId,
          changed: { policy: false, role: false },
        }
      },
    }),
    secondary: () => ({}),
    close: async () => {},
  } as unknown as AgentClients
  const store = new SqliteStore(':memory:')
  const box = new SecretBox('custody-test-store-secret')
  const gateway = () =>
    createDrTokenCustody({
      store,
      box,
      agents,
      targetOf: () => ({ cluster: 'dc1', url: primary.agent_url, token: 'agent-token-0123456789' }),
      now: () => clock,
      ttl: undefined,
    })
  const custody = gateway()
  return {
    custody,
    /** Another gateway on the same store. */
    another: gateway,
    store,
    advance: (ms: number) => {
      clock += ms
    },
    reenable: (id: string) => {
      clusterId = id
    },
    issued: () => n,
    now: () => clock,
  }
}

describe('DR operation token custody', () => {
  it('has one gateway of those sharing the store issue a rotation; the others answer with its token', async () => {
    const w = world()
    const gateways = [w.custody, w.another(), w.another()]
    const first = await Promise.all(gateways.map((g) => g.ensure(primary, 'set-a')))
    expect(w.issued()).toBe(1)
    expect(first.map((r) => w.custody.open(r.token))).toEqual(['hvb.token-1', 'hvb.token-1', 'hvb.token-1'])
    // An operator's rotation asked of two at once: one new token, kept by both.
    const forced = await Promise.all(gateways.slice(0, 2).map((g) => g.ensure(primary, 'set-a', { force: true })))
    expect(w.issued()).toBe(2)
    expect(forced.map((r) => [w.custody.open(r.token), r.rotated])).toEqual([
      ['hvb.token-2', 'requested'],
      ['hvb.token-2', 'requested'],
    ])
    // The claim was given back: the next rotation is issued at once.
    w.advance(5 * 3_600_000)
    expect((await gateways[2]?.ensure(primary, 'set-a'))?.rotated).toBe('half_life')
    expect(w.issued()).toBe(3)
    await w.store.close()
  })

  it("has one of the gateways that waited out a dead one's claim issue, once it ran out", async () => {
    const w = world()
    // Held for longer than a claim lasts: a claim's end must count from when it is taken, not from when it was asked.
    await w.store.setMeta('dr-token-issuing/dc1', JSON.stringify({ by: 'dead-gateway', until: w.now() + 95_000 }))
    const waiting = [w.custody, w.another()].map((g) => g.ensure(primary, 'set-a'))
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(w.issued()).toBe(0)
    w.advance(100_000)
    const answers = await Promise.all(waiting)
    expect(w.issued()).toBe(1)
    expect(answers.map((a) => w.custody.open(a.token))).toEqual(['hvb.token-1', 'hvb.token-1'])
    await w.store.close()
  })

  it('issues at once for an operation holding the primary, though a gateway that died left its claim', async () => {
    const w = world()
    await w.store.setMeta('dr-token-issuing/dc1', JSON.stringify({ by: 'dead-gateway', until: w.now() + 3_600_000 }))
    const started = performance.now()
    const held = await w.custody.ensure(primary, 'set-a', { heldByOperation: true })
    expect(w.custody.open(held.token)).toBe('hvb.token-1')
    expect(performance.now() - started).toBeLessThan(1_000)
    await w.store.close()
  })

  it('issues a token when none is kept, keeps it until half its TTL, then re-issues keeping the one before', async () => {
    const w = world()
    const first = await w.custody.ensure(primary, 'set-a')
    expect(first.rotated).toBe('missing')
    expect(w.custody.open(first.token)).toBe('hvb.token-1')
    w.advance(3 * HOUR)
    expect((await w.custody.ensure(primary, 'set-a')).rotated).toBeUndefined()
    w.advance(HOUR)
    const second = await w.custody.ensure(primary, 'set-a')
    expect(second.rotated).toBe('half_life')
    expect(w.custody.open(second.token)).toBe('hvb.token-2')
    expect(second.token.previous_expires_at).toBe(first.token.expires_at)
    expect(w.custody.info(second.token)).toMatchObject({ remaining_s: 8 * 3600, rotate_at: '2026-12-04T16:00:00.000Z' })
    await w.store.close()
  })

  it('replaces a token made by another replication set, and one that expired (without keeping it)', async () => {
    const w = world()
    await w.custody.ensure(primary, 'set-a')
    w.reenable('set-b')
    const replaced = await w.custody.ensure(primary, 'set-b')
    expect(replaced.rotated).toBe('primary_changed')
    expect(replaced.token.primary_cluster_id).toBe('set-b')
    w.advance(9 * HOUR)
    const renewed = await w.custody.ensure(primary, 'set-b')
    expect(renewed.rotated).toBe('expired')
    expect(renewed.token.previous_sealed).toBeNull()
    await w.store.close()
  })

  it('issues once for concurrent callers, and a forced rotation always issues', async () => {
    const w = world()
    const all = await Promise.all([1, 2, 3].map(() => w.custody.ensure(primary, 'set-a')))
    expect(w.issued()).toBe(1)
    expect(new Set(all.map((r) => r.token.issued_at)).size).toBe(1)
    expect((await w.custody.ensure(primary, 'set-a', { force: true })).rotated).toBe('requested')
    expect(w.issued()).toBe(2)
    await w.store.close()
  })

  it('keeps the token another gateway stored first', async () => {
    const w = world()
    const mine = await w.custody.ensure(primary, 'set-a')
    const theirs = { ...mine.token, issued_at: '2026-12-04T08:00:00.500Z', token_sealed: Uint8Array.of(7) }
    expect(await w.store.putDrToken(theirs, mine.token.issued_at)).toBe(true)
    w.advance(5 * HOUR)
    // This gateway read "theirs" and rotates over it: written. Had another written meanwhile, theirs would be kept.
    const next = await w.custody.ensure(primary, 'set-a')
    expect(next.rotated).toBe('half_life')
    expect((await w.store.getDrToken('dc1'))?.issued_at).toBe(next.token.issued_at)
    await w.store.close()
  })
})
