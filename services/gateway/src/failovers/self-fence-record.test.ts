import { setImmediate as tick } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { SelfFenceSettings, type SelfFenceStore } from './self-fence-record.ts'

function sharedMeta(): SelfFenceStore {
  const meta = new Map<string, string>()
  return {
    getMeta: async (key) => meta.get(key),
    setMeta: async (key, value) => void meta.set(key, value),
    replaceMetaIf: async (key, expected, value) => {
      if (meta.get(key) !== expected) return false
      if (value === null) meta.delete(key)
      else meta.set(key, value)
      return true
    },
  }
}

const T = Date.parse('2026-12-06T04:00:00.000Z')

describe("the agents' self-fencing settings kept in the store", () => {
  it('keeps the later reading of two gateways: a delayed one does not bring back a setting the agent restarted without', async () => {
    const store = sharedMeta()
    const late = new SelfFenceSettings(store)
    const fresh = new SelfFenceSettings(store)
    // The agent ran with 30 s at 04:00:01; restarted with self-fencing off, its status says so at 04:00:02.
    fresh.seen('dc1', null, T + 2_000)
    await tick()
    // A gateway paused since its read at 04:00:01 writes what it saw then.
    late.seen('dc1', 30_000, T + 1_000)
    await tick()
    expect(await fresh.lastSeen('dc1')).toMatchObject({
      fence_on_isolation_ms: null,
      seen_at: new Date(T + 2_000).toISOString(),
    })
    // A later reading replaces it.
    late.seen('dc1', 60_000, T + 3_000)
    await tick()
    expect(await fresh.lastSeen('dc1')).toMatchObject({ fence_on_isolation_ms: 60_000 })
  })
})
