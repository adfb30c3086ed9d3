import { describe, expect, it } from 'vitest'
import { ClusterStatus } from '../agent/cluster-status.ts'
import { parseDrStatus } from './dr-status.ts'

describe('parseDrStatus keeps a DR mode it does not know, as Vault said it', () => {
  it('"unsupported" (a storage backend or licence without DR) is mode unknown with reported_mode, also on the wire', () => {
    const parsed = parseDrStatus({ mode: 'unsupported' })
    expect(parsed).toMatchObject({ mode: 'unknown', reported_mode: 'unsupported' })
    const wire = ClusterStatus.parse({
      vault: {
        reachable: true,
        address: 'https://vault:8200',
        health_code: 200,
        initialized: true,
        sealed: false,
        version: '1.17.3+ent',
        enterprise: true,
        ha_role: 'active',
        cluster_name: 'dc1',
        cluster_id: 'id',
        dr_mode: 'disabled',
        error: null,
      },
      replication: parsed,
      checked_at: new Date().toISOString(),
    })
    expect(JSON.parse(JSON.stringify(wire)).replication).toMatchObject({
      mode: 'unknown',
      reported_mode: 'unsupported',
    })
  })

  it('a known mode has no reported_mode; nor has a missing one', () => {
    for (const mode of ['primary', 'secondary', 'bootstrapping', 'disabled']) {
      expect(parseDrStatus({ mode })).not.toHaveProperty('reported_mode')
    }
    expect(parseDrStatus({})).toMatchObject({ mode: 'unknown' })
    expect(parseDrStatus({})).not.toHaveProperty('reported_mode')
  })
})

describe('parseDrStatus reads corrupted_merkle_tree', () => {
  it('as Vault reports it, and null when this Vault version does not', () => {
    expect(parseDrStatus({ mode: 'secondary', corrupted_merkle_tree: true }).corrupted_merkle_tree).toBe(true)
    expect(parseDrStatus({ mode: 'secondary', corrupted_merkle_tree: false }).corrupted_merkle_tree).toBe(false)
    expect(parseDrStatus({ mode: 'secondary' }).corrupted_merkle_tree).toBeNull()
    expect(parseDrStatus({ mode: 'secondary', corrupted_merkle_tree: 'yes' }).corrupted_merkle_tree).toBeNull()
  })
})
