import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../cluster-status.ts'
import type { FenceRecord } from '../fence/fence.schemas.ts'
import { createServingGate, SLOW_READ_MS } from './serving-gate.ts'

const peer = (id: string, connection: 'connected' | 'disconnected') => ({
  node_id: id,
  connection_status: connection,
})

function status(mode: string, peers: ReturnType<typeof peer>[] = [], vault: Partial<ClusterStatus['vault']> = {}) {
  return {
    vault: { reachable: true, sealed: false, error: null, ...vault },
    replication: { mode, known_secondaries: peers.map((p) => p.node_id), secondaries: peers },
    checked_at: new Date().toISOString(),
  } as unknown as ClusterStatus
}

const silent = { info() {}, warn() {} } as never

function gate(fence?: FenceRecord) {
  let t = 1_000_000
  const g = createServingGate({ fence: () => fence, reconfirmAfterMs: 10_000, log: () => silent, now: () => t })
  return { g, advance: (ms: number) => (t += ms) }
}

const reason = (g: ReturnType<typeof gate>['g'], s: ClusterStatus) => {
  g.observe(s, 0)
  const view = g.decide(s)
  return `${view.serving ? 200 : 503} ${view.reason}`
}

describe('what the load balancers check answers (getServing)', () => {
  it('serves no DR and a primary without secondaries; not a secondary, a sealed or unreadable Vault', () => {
    const { g } = gate()
    expect(reason(g, status('disabled'))).toBe('200 dr_disabled')
    expect(reason(g, status('primary'))).toBe('200 primary')
    expect(reason(g, status('secondary'))).toBe('503 dr_secondary')
    expect(reason(g, status('bootstrapping'))).toBe('503 dr_secondary')
    expect(reason(g, status('unknown'))).toBe('503 vault_unavailable')
    expect(reason(g, status('primary', [], { sealed: true }))).toBe('503 vault_unavailable')
    expect(reason(g, status('primary', [], { reachable: false, error: 'refused' }))).toBe('503 vault_unavailable')
  })

  it('serves a primary with secondaries only once confirmed; a secondary seen connected confirms it', () => {
    const { g } = gate()
    expect(reason(g, status('primary', [peer('dc2', 'disconnected')]))).toBe('503 unconfirmed')
    expect(reason(g, status('primary', [peer('dc2', 'connected')]))).toBe('200 primary')
    // Confirmed, it stays served while its DR site is away.
    expect(reason(g, status('primary', [peer('dc2', 'disconnected')]))).toBe('200 primary')
  })

  it('is not confirmed by some of its secondaries connected: another may have been promoted away from it', () => {
    // A lost site comes back: dc3, left following the old primary, reconnects; dc2, promoted elsewhere, does not.
    const { g } = gate()
    expect(reason(g, status('primary', [peer('dc2', 'disconnected'), peer('dc3', 'connected')]))).toBe(
      '503 unconfirmed',
    )
    expect(reason(g, status('primary', [peer('dc3', 'connected'), peer('dc2', 'connected')]))).toBe('200 primary')
  })

  it('a DR secondary seen turning into a DR primary is confirmed (a promote), unless it was away meanwhile', () => {
    const alone = status('primary', [peer('dc2', 'disconnected')])
    const seen = gate()
    expect(reason(seen.g, status('secondary'))).toBe('503 dr_secondary')
    expect(reason(seen.g, alone)).toBe('200 primary')
    expect(seen.g.decide(alone).confirmed?.by).toBe('promote')

    const away = gate()
    expect(reason(away.g, status('secondary'))).toBe('503 dr_secondary')
    expect(reason(away.g, status('secondary', [], { reachable: false }))).toBe('503 vault_unavailable')
    away.advance(10_001)
    expect(reason(away.g, alone)).toBe('503 unconfirmed')
  })

  it('forgets the confirmation when the cluster is a DR secondary, or away longer than the duration', () => {
    const { g, advance } = gate()
    g.confirm('gateway', g.episode())
    const alone = status('primary', [peer('dc2', 'disconnected')])
    expect(reason(g, alone)).toBe('200 primary')
    expect(reason(g, status('bootstrapping'))).toBe('503 dr_secondary')
    expect(g.decide(alone).confirmed).toBeNull()

    g.confirm('gateway', g.episode())
    expect(reason(g, status('primary', [], { reachable: false }))).toBe('503 vault_unavailable')
    advance(9_000)
    expect(reason(g, alone)).toBe('200 primary')
    expect(reason(g, status('primary', [], { sealed: true }))).toBe('503 vault_unavailable')
    advance(10_001)
    expect(reason(g, alone)).toBe('503 unconfirmed')
  })

  it('counts a read that hung before its answer as time away, from when it was sent', () => {
    const { g } = gate()
    const alone = status('primary', [peer('dc2', 'disconnected')])
    g.confirm('gateway', g.episode())
    g.observe(alone, 9_000)
    expect(reason(g, alone)).toBe('200 primary')
    // Answered only after longer than the duration (a black hole): a failover may have been made meanwhile.
    g.observe(alone, 10_001)
    expect(g.decide(alone)).toMatchObject({ serving: false, reason: 'unconfirmed' })
    g.confirm('gateway', g.episode())
    g.observe(status('primary', [], { reachable: false }), 10_001)
    g.observe(alone, 5)
    expect(g.decide(alone)).toMatchObject({ serving: false, reason: 'unconfirmed' })
  })

  it('never serves a fenced cluster, confirmed or not', () => {
    const fence = { at: '2026-12-05T10:00:00.000Z', reason: 'failover', by: 'gateway' } as FenceRecord
    const { g } = gate(fence)
    g.confirm('gateway', g.episode())
    expect(reason(g, status('primary', [peer('dc2', 'connected')]))).toBe('503 fenced')
  })

  it('renews its episode at start, at the first read away, at the first read back, and at a slow read', () => {
    const alone = status('primary', [peer('dc2', 'disconnected')])
    const { g } = gate()
    const atStart = g.episode()
    expect(atStart).toMatch(/^[0-9a-f-]{36}$/)
    expect(gate().g.episode()).not.toBe(atStart)
    expect(g.decide(alone).episode).toBe(atStart)

    g.observe(alone, SLOW_READ_MS)
    expect(g.episode()).toBe(atStart)
    g.observe(status('primary', [], { reachable: false }), 5)
    const away = g.episode()
    expect(away).not.toBe(atStart)
    g.observe(status('primary', [], { sealed: true }), 5)
    expect(g.episode()).toBe(away)
    g.observe(alone, 5)
    const back = g.episode()
    expect(back).not.toBe(away)
    g.observe(alone, 5)
    expect(g.episode()).toBe(back)
    g.observe(alone, SLOW_READ_MS + 1)
    expect(g.episode()).not.toBe(back)
  })

  it('confirms only with the current episode: one read before its Vault was away, or slow, confirms nothing', () => {
    const alone = status('primary', [peer('dc2', 'disconnected')])
    const { g } = gate()
    expect(reason(g, alone)).toBe('503 unconfirmed')
    const seen = g.episode()
    g.observe(status('primary', [], { reachable: false }), 5)
    g.observe(alone, 5)
    expect(g.confirm('gateway', seen)).toBe(false)
    expect(reason(g, alone)).toBe('503 unconfirmed')

    const again = g.episode()
    g.observe(alone, SLOW_READ_MS + 1)
    expect(g.confirm('gateway', again)).toBe(false)
    expect(reason(g, alone)).toBe('503 unconfirmed')
    expect(g.confirm('gateway', g.episode())).toBe(true)
    expect(reason(g, alone)).toBe('200 primary')
  })
})
