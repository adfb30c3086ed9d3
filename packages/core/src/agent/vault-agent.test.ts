import { describe, expect, it } from 'vitest'
import { parseDrStatus } from '../replication/dr-status.ts'
import type { ClusterStatus } from './cluster-status.ts'
import { isSteady } from './vault-agent.ts'

const vault: ClusterStatus['vault'] = {
  reachable: true,
  address: 'http://127.0.0.1:8200',
  health_code: 200,
  initialized: true,
  sealed: false,
  version: '1.17.3+ent',
  enterprise: true,
  ha_role: 'active',
  cluster_name: 'dc1',
  cluster_id: 'c1',
  dr_mode: 'primary',
  error: null,
}
const status = (dr: Record<string, unknown>, over: Partial<ClusterStatus['vault']> = {}): ClusterStatus => ({
  vault: { ...vault, ...over },
  replication: parseDrStatus(dr),
  checked_at: new Date().toISOString(),
})

describe('isSteady: which status may be shared for VAULT_DR_STATUS_CACHE_MS', () => {
  it('shares a running primary, also while one of its secondaries is still connecting', () => {
    const secondaries = [{ node_id: 'dc2', connection_status: 'disconnected' }]
    expect(isSteady(status({ mode: 'primary', state: 'running', secondaries }))).toBe(true)
    expect(isSteady(status({ mode: 'disabled' }))).toBe(true)
  })

  it('asks again for a cluster in transition, sealed or unreachable', () => {
    expect(isSteady(status({ mode: 'bootstrapping', state: 'bootstrapping' }))).toBe(false)
    expect(isSteady(status({ mode: 'secondary', state: 'stream-wals', connection_state: 'connecting' }))).toBe(false)
    expect(isSteady(status({ mode: 'secondary', state: 'stream-wals', connection_state: 'ready' }))).toBe(true)
    expect(isSteady(status({ mode: 'disabled' }, { sealed: true }))).toBe(false)
    expect(isSteady(status({ mode: 'disabled' }, { reachable: false }))).toBe(false)
  })
})
