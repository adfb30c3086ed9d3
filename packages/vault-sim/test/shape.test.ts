import { describe, expect, it } from 'vitest'
import { shapeMismatches } from './helpers/shape.ts'

describe('the payload shape comparison', () => {
  it('reports missing keys, other types, unknown enumeration values and, when exact, extra keys', () => {
    const payload = { mode: 'secondary', known_primary_cluster_addrs: null, primaries: [{ clock_skew_ms: '0' }] }
    expect(shapeMismatches(payload, { ...payload, extra: 1 })).toEqual([])
    expect(shapeMismatches(payload, { mode: 'secondary', primaries: [] })).toEqual([
      'known_primary_cluster_addrs: missing in vault-sim',
    ])
    expect(shapeMismatches(payload, { ...payload, known_primary_cluster_addrs: [] })).toEqual([
      'known_primary_cluster_addrs: null in the payload, array in vault-sim',
    ])
    expect(shapeMismatches(payload, { ...payload, primaries: [{ clock_skew_ms: 0 }] })).toEqual([
      'primaries[0].clock_skew_ms: string in the payload, number in vault-sim',
    ])
    expect(shapeMismatches(payload, { ...payload, mode: 'standby' })).toHaveLength(1)
    expect(shapeMismatches(payload, { ...payload, extra: 1 }, { exact: true })).toEqual(['extra: not in the payload'])
  })
})
