import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../cluster-status.ts'
import type { FenceRecord } from '../fence/fence.schemas.ts'
import { createServingGate } from './serving-gate.ts'

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
  g.observe(s)
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
    g.confirm('gateway')
    const alone = status('primary', [peer('dc2', 'disconnected')])
    expect(reason(g, alone)).toBe('200 primary')
    expect(reason(g, status('bootstrapping'))).toBe('503 dr_secondary')
    expect(g.decide(alone).confirmed).toBeNull()

    g.confirm('gateway')
    expect(reason(g, status('primary', [], { reachable: false }))).toBe('503 vault_unavailable')
    advance(9_000)
    expect(reason(g, alone)).toBe('200 primary')
    expect(reason(g, status('primary', [], { sealed: true }))).toBe('503 vault_unavailable')
    advance(10_001)
    expect(reason(g, alone)).toBe('503 unconfirmed')
  })

  it('never serves a fenced cluster, confirmed or not', () => {
    const fence = { at: '2026-12-05T10:00:00.000Z', reason: 'failover', by: 'gateway' } as FenceRecord
    const { g } = gate(fence)
    g.confirm('gateway')
    expect(reason(g, status('primary', [peer('dc2', 'connected')]))).toBe('503 fenced')
  })
})
