import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../cluster-status.ts'
import { allSecondariesDisconnected, decideIsolation } from './isolation-decision.ts'

const peer = (id: string, connection: 'connected' | 'disconnected') => ({
  node_id: id,
  api_address: null,
  cluster_address: null,
  connection_status: connection,
  last_heartbeat: null,
  heartbeat_age_s: null,
})

function primary(known: string[], peers: ReturnType<typeof peer>[], overrides: Partial<ClusterStatus['vault']> = {}) {
  return {
    vault: { reachable: true, sealed: false, ...overrides },
    replication: { mode: 'primary', known_secondaries: known, secondaries: peers },
    checked_at: new Date().toISOString(),
  } as unknown as ClusterStatus
}

const D = 10_000

describe('the isolation decision (VAULT_DR_FENCE_ON_ISOLATION)', () => {
  it('sees every secondary disconnected, a known one without a connection entry included', () => {
    expect(allSecondariesDisconnected(primary(['dc2', 'dc3'], [peer('dc2', 'disconnected')]))).toEqual(['dc2', 'dc3'])
    expect(allSecondariesDisconnected(primary(['dc2', 'dc3'], [peer('dc3', 'connected')]))).toBeUndefined()
  })

  it('never holds without a known secondary, on a secondary, sealed, unreachable or unread', () => {
    expect(allSecondariesDisconnected(primary([], []))).toBeUndefined()
    expect(allSecondariesDisconnected(primary(['dc2'], [], { sealed: true }))).toBeUndefined()
    expect(allSecondariesDisconnected(primary(['dc2'], [], { reachable: false }))).toBeUndefined()
    const secondary = {
      ...primary(['dc2'], []),
      replication: { mode: 'secondary', known_secondaries: ['dc2'], secondaries: [] },
    }
    expect(allSecondariesDisconnected(secondary as unknown as ClusterStatus)).toBeUndefined()
    expect(allSecondariesDisconnected({ ...primary(['dc2'], []), replication: null })).toBeUndefined()
    expect(allSecondariesDisconnected(undefined)).toBeUndefined()
  })

  it('fires only once both have held for longer than the duration', () => {
    const cut = primary(['dc2'], [peer('dc2', 'disconnected')])
    let since: number | null = null
    const at = (now: number, lastRequestAt = 0) => {
      const verdict = decideIsolation(since, { now, status: cut, lastRequestAt }, D)
      since = verdict.isolatedSince
      return verdict
    }
    expect(at(1_000)).toEqual({ fire: false, isolatedSince: 1_000 })
    expect(at(11_000).fire).toBe(false) // exactly the duration: not longer
    const fired = at(11_001)
    expect(fired).toMatchObject({ fire: true, isolatedSince: 1_000 })
    expect(fired.fire && fired.reason).toContain('every DR secondary (dc2) disconnected')
    expect(fired.fire && fired.reason).toContain('since 1970-01-01T00:00:01.000Z')
  })

  it('does not fire while requests keep coming, however long the secondaries are gone', () => {
    const cut = primary(['dc2'], [])
    let since: number | null = null
    for (let now = 0; now <= 60_000; now += 2_500) {
      const verdict = decideIsolation(since, { now, status: cut, lastRequestAt: now - 2_000 }, D)
      expect(verdict.fire).toBe(false)
      since = verdict.isolatedSince
    }
    expect(since).toBe(0)
    // The requests stop: it fires once the last is older than the duration.
    expect(decideIsolation(since, { now: 70_000, status: cut, lastRequestAt: 58_000 }, D).fire).toBe(true)
  })

  it('starts the count again when a secondary reconnects, or Vault answers as no DR primary', () => {
    const cut = primary(['dc2'], [])
    const back = primary(['dc2'], [peer('dc2', 'connected')])
    let verdict = decideIsolation(null, { now: 0, status: cut, lastRequestAt: -100_000 }, D)
    verdict = decideIsolation(verdict.isolatedSince, { now: 8_000, status: back, lastRequestAt: -100_000 }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: null })
    verdict = decideIsolation(verdict.isolatedSince, { now: 9_000, status: cut, lastRequestAt: -100_000 }, D)
    const demoted = { ...cut, replication: { mode: 'secondary', known_secondaries: [], secondaries: [] } }
    verdict = decideIsolation(
      verdict.isolatedSince,
      { now: 15_000, status: demoted as unknown as ClusterStatus, lastRequestAt: -100_000 },
      D,
    )
    expect(verdict.isolatedSince).toBeNull()
    verdict = decideIsolation(verdict.isolatedSince, { now: 16_000, status: cut, lastRequestAt: -100_000 }, D)
    expect(decideIsolation(verdict.isolatedSince, { now: 26_000, status: cut, lastRequestAt: -100_000 }, D).fire).toBe(
      false,
    )
    expect(decideIsolation(verdict.isolatedSince, { now: 26_001, status: cut, lastRequestAt: -100_000 }, D).fire).toBe(
      true,
    )
  })

  it('goes on counting while Vault answers sealed or without its DR state, and fires at its first readable answer past the duration', () => {
    // A site cut off whose Vault restarts sealed (or has no leader for a while): a failover on the other side counts on
    // this agent's clock having run all along.
    const cut = primary(['dc2'], [])
    const sealed = primary(['dc2'], [], { sealed: true })
    const leaderless = { ...cut, replication: null }
    const quiet = -100_000
    let verdict = decideIsolation(null, { now: 0, status: cut, lastRequestAt: quiet }, D)
    verdict = decideIsolation(verdict.isolatedSince, { now: 4_000, status: sealed, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0 })
    verdict = decideIsolation(verdict.isolatedSince, { now: 8_000, status: leaderless, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0 })
    // Past the duration, still sealed: armed, nothing Vault would demote yet.
    verdict = decideIsolation(verdict.isolatedSince, { now: 12_000, status: sealed, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0, armed: true })
    // Unsealed, a DR primary whose secondaries are all gone: demoted at once, not one more duration later.
    expect(decideIsolation(verdict.isolatedSince, { now: 12_100, status: cut, lastRequestAt: quiet }, D)).toMatchObject(
      {
        fire: true,
        isolatedSince: 0,
      },
    )
  })

  it('counts the time its own Vault does not answer (a lost site) and fires at the first read past the duration', () => {
    const gone = primary(['dc2'], [], { reachable: false })
    const cut = primary(['dc2'], [peer('dc2', 'disconnected')])
    const quiet = -100_000
    let verdict = decideIsolation(null, { now: 0, status: undefined, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0 })
    verdict = decideIsolation(verdict.isolatedSince, { now: 5_000, status: gone, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0 })
    // Past the duration, still no answer: armed, nothing to demote yet.
    verdict = decideIsolation(verdict.isolatedSince, { now: 10_001, status: gone, lastRequestAt: quiet }, D)
    expect(verdict).toEqual({ fire: false, isolatedSince: 0, armed: true })
    // Its site comes back: Vault answers a DR primary whose secondaries are all gone; it fires at once.
    const fired = decideIsolation(verdict.isolatedSince, { now: 60_000, status: cut, lastRequestAt: quiet }, D)
    expect(fired).toMatchObject({ fire: true, isolatedSince: 0 })
    expect(fired.fire && fired.reason).toContain("or this agent's Vault not answering, since 1970-01-01T00:00:00.000Z")
  })

  it('does not fire after its Vault was away when a secondary is connected again, or the gateway reached the agent', () => {
    const gone = primary(['dc2'], [], { reachable: false })
    let verdict = decideIsolation(null, { now: 0, status: gone, lastRequestAt: -100_000 }, D)
    verdict = decideIsolation(verdict.isolatedSince, { now: 30_000, status: gone, lastRequestAt: -100_000 }, D)
    expect(verdict).toMatchObject({ armed: true })
    const back = primary(['dc2'], [peer('dc2', 'connected')])
    expect(decideIsolation(verdict.isolatedSince, { now: 30_100, status: back, lastRequestAt: -100_000 }, D)).toEqual({
      fire: false,
      isolatedSince: null,
    })
    // A gateway that reached the agent meanwhile is on the quorum side: not armed, does not fire.
    const reached = decideIsolation(0, { now: 30_000, status: gone, lastRequestAt: 25_000 }, D)
    expect(reached).toEqual({ fire: false, isolatedSince: 0 })
    const cut = primary(['dc2'], [])
    expect(decideIsolation(0, { now: 30_100, status: cut, lastRequestAt: 25_000 }, D).fire).toBe(false)
  })
})
