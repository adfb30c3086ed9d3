import { z } from 'zod'
import { DownFor, durationMs } from '../failovers/failovers.schemas.ts'
import type { AutoFailoverView } from './pairs.schemas.ts'

/** The shortest down_for an automatic failover may wait: below it, a blip of the network would fail a pair over. */
export const AUTO_FAILOVER_MIN_DOWN_FOR_MS = 10_000

export const AutoFailoverBody = z
  .object({
    enabled: z.boolean().describe('Whether the gateway fails this pair over by itself when its primary site is lost'),
    down_for: DownFor.refine((v) => durationMs(v) >= AUTO_FAILOVER_MIN_DOWN_FOR_MS, {
      message: 'must be at least 10s for an automatic failover',
    })
      .default('60s')
      .describe(
        'How long the primary must be unreachable from two vantage points outside its site (the gateway, the secondary agent, the secondary Vault)',
      ),
  })
  .strict()
  .meta({ id: 'AutoFailoverBody', example: { enabled: true, down_for: '60s' } })
export type AutoFailoverBody = z.infer<typeof AutoFailoverBody>

/** What the store keeps of a pair's setting, under `auto-failover/<secondary>`, shared by every gateway. */
const StoredSetting = z.object({
  enabled: z.boolean(),
  down_for: z.string(),
  last_fired_at: z.iso.datetime().nullable(),
  updated_at: z.iso.datetime(),
})
export type AutoFailoverSetting = z.infer<typeof StoredSetting>

export const autoFailoverKey = (secondary: string) => `auto-failover/${secondary}`

export interface AutoFailoverStore {
  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
  listOperations(q: {
    kind?: 'failover'
    cluster?: string
    limit: number
  }): Promise<Array<{ id: string; created_at: string }>>
}

/** The pair's setting; off (with the default down_for) when none was ever set. */
export async function readAutoFailover(store: AutoFailoverStore, secondary: string): Promise<AutoFailoverSetting> {
  return parseAutoFailover(await store.getMeta(autoFailoverKey(secondary)))
}

/** A setting as the store keeps it (undefined or empty: never set, so off). */
export function parseAutoFailover(raw: string | undefined): AutoFailoverSetting {
  const parsed = raw === undefined || raw === '' ? undefined : StoredSetting.safeParse(JSON.parse(raw))
  if (parsed?.success) return parsed.data
  return { enabled: false, down_for: '60s', last_fired_at: null, updated_at: new Date(0).toISOString() }
}

export function writeAutoFailover(
  store: AutoFailoverStore,
  secondary: string,
  setting: AutoFailoverSetting,
): Promise<void> {
  return store.setMeta(autoFailoverKey(secondary), JSON.stringify(setting))
}

/**
 * The newest failover of the secondary's pair (its id, and when it was asked for), or null when none was: from the
 * journal every gateway shares (any failover, automatic or asked for: the anti-flap window counts role changes, not
 * who asked).
 */
export async function lastFailover(
  store: AutoFailoverStore,
  secondary: string,
): Promise<{ id: string; at: number } | null> {
  const [newest] = await store.listOperations({ kind: 'failover', cluster: secondary, limit: 1 })
  return newest === undefined ? null : { id: newest.id, at: Date.parse(newest.created_at) }
}

/** The end of the anti-flap window a failover started at `last` opens, or null once it has passed. */
export function blockedUntil(last: number | null, blockMs: number, now: number): number | null {
  if (last === null || last + blockMs <= now) return null
  return last + blockMs
}

export async function autoFailoverView(
  store: AutoFailoverStore,
  secondary: string,
  blockMs: number,
  now: number,
): Promise<AutoFailoverView> {
  const [setting, last] = await Promise.all([readAutoFailover(store, secondary), lastFailover(store, secondary)])
  const until = blockedUntil(last?.at ?? null, blockMs, now)
  return {
    enabled: setting.enabled,
    down_for: setting.down_for,
    last_fired_at: setting.last_fired_at,
    blocked_until: until === null ? null : new Date(until).toISOString(),
  }
}
