import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { followState, lastWalOf } from './cluster-roles.ts'

type Repl = NonNullable<ClusterStatus['replication']>

function status(p: Partial<Repl>, vault: Partial<ClusterStatus['vault']> = {}): ClusterStatus {
  return {
    vault: {
      reachable: true,
      address: 'a',
      health_code: 200,
      initialized: true,
      sealed: false,
      version: '1.21.0+ent',
      enterprise: true,
      ha_role: 'active',
      cluster_name: null,
      cluster_id: null,
      dr_mode: null,
      error: null,
      ...vault,
    },
    replication: {
      mode: 'secondary',
      state: 'stream-wals',
      cluster_id: 'set-1',
      merkle_root: 'r',
      last_wal: null,
      known_secondaries: [],
      secondaries: [],
      primary_cluster_addr: null,
      connection_state: 'ready',
      primaries: [],
      known_primary_cluster_addrs: [],
      last_remote_wal: 10,
      secondary_id: 'dc1',
      ...p,
    },
    checked_at: '2026-01-01T00:00:00.000Z',
  }
}

const peer = (id: string, connection_status: string) => ({
  node_id: id,
  api_address: null,
  cluster_address: null,
  connection_status,
  last_heartbeat: null,
  heartbeat_age_s: null,
})
const primary = (known: string[], connected: string[] = []) =>
  status({
    mode: 'primary',
    state: 'running',
    known_secondaries: known,
    secondaries: connected.map((id) => peer(id, 'connected')),
    secondary_id: null,
  })

describe('followState: where a secondary stands towards the primary it should follow', () => {
  it('streaming only when it streams with the id and the primary sees it connected', () => {
    expect(followState(status({}), primary(['dc1'], ['dc1']), 'dc1')).toBe('streaming')
    // Still showing stream-wals from the demoted primary: the new one does not know it yet.
    expect(followState(status({}), primary([]), 'dc1')).toBe('needs_token')
  })

  it('syncing after update-primary; a stale id is one the primary knows that the cluster does not use', () => {
    expect(followState(status({ state: 'merkle-sync' }), primary(['dc1']), 'dc1')).toBe('syncing')
    // Still connecting with the id it was given: waited for, not revoked and minted again.
    expect(followState(status({ state: 'connecting' }), primary(['dc1']), 'dc1')).toBe('syncing')
    expect(followState(status({ state: 'idle', secondary_id: '' }), primary(['dc1']), 'dc1')).toBe('stale_id')
  })

  it('a primary is never re-pointed; an unreadable one is unknown', () => {
    expect(followState(primary([]), primary(['dc1']), 'dc1')).toBe('is_primary')
    expect(followState({ ...status({}), replication: null }, primary([]), 'dc1')).toBe('unknown')
  })
})

describe('lastWalOf a demoted primary', () => {
  it('takes the highest of its DR status, its sys/health and what it said before the demote', () => {
    expect(lastWalOf(status({ last_wal: null }), 90)).toBe(90)
    expect(lastWalOf(status({ last_wal: null }, { last_wal: 95 }), 90)).toBe(95)
    expect(lastWalOf(status({ last_wal: null }), null)).toBeNull()
  })
})
