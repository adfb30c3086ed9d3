import { z } from 'zod'
import type { Store } from '../store/store.ts'

/**
 * A primary a failover promoted another cluster away from: until its agent has demoted it, it must not take
 * writes. Kept in the store's meta under `fence/<cluster>`, so every gateway sharing the store enforces it.
 */
export const FenceRecord = z.object({
  cluster: z.string(),
  /** The role epoch the failover raised: the demote carries it, so an agent that saw a later one refuses. */
  epoch: z.number().int().nonnegative(),
  failover_id: z.string(),
  new_primary: z.string(),
  fenced_at: z.iso.datetime(),
  /** When its agent demoted it (or found it no longer primary); null while it is away or still primary. */
  demoted_at: z.iso.datetime().nullable(),
  /** Its last WAL when it came back, read before the demote: what it wrote that the new primary never got is lost. */
  last_wal: z.number().nullable().default(null),
})
export type FenceRecord = z.infer<typeof FenceRecord>

export const fenceKey = (cluster: string) => `fence/${cluster}`

export interface FenceMeta {
  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
  metaUnder(prefix: string): Promise<Map<string, string>>
}

const parseFence = (raw: string | undefined): FenceRecord | undefined => {
  if (raw === undefined || raw === '') return undefined
  const parsed = FenceRecord.safeParse(JSON.parse(raw))
  return parsed.success ? parsed.data : undefined
}

export async function readFence(store: Pick<FenceMeta, 'getMeta'>, cluster: string): Promise<FenceRecord | undefined> {
  return parseFence(await store.getMeta(fenceKey(cluster)))
}

/** Every fence recorded (a cleared one is none), by cluster, in one read. */
export async function readFences(store: FenceMeta): Promise<Map<string, FenceRecord>> {
  const fences = new Map<string, FenceRecord>()
  for (const raw of (await store.metaUnder(fenceKey(''))).values()) {
    const fence = parseFence(raw)
    if (fence !== undefined) fences.set(fence.cluster, fence)
  }
  return fences
}

export function writeFence(store: FenceMeta, fence: FenceRecord): Promise<void> {
  return store.setMeta(fenceKey(fence.cluster), JSON.stringify(fence))
}

/** The meta calls a fence is changed with once written: compare-and-set, as several gateways change it. */
export type FenceStore = FenceMeta & Pick<Store, 'replaceMetaIf'>

/**
 * Changes the fence `failoverId` recorded on `cluster`, from what the store has now, only while the store still has
 * that very value (read again and redone when another gateway changed it first); nothing once it was ended or
 * replaced by another failover's. `next` answers the fence to write, or null to end it (an empty value, as read).
 * True when it wrote.
 */
export async function rewriteFence(
  store: FenceStore,
  cluster: string,
  failoverId: string,
  next: (now: FenceRecord) => FenceRecord | null,
): Promise<boolean> {
  for (;;) {
    const raw = await store.getMeta(fenceKey(cluster))
    const now = parseFence(raw)
    if (raw === undefined || now === undefined || now.failover_id !== failoverId) return false
    const value = next(now)
    if (await store.replaceMetaIf(fenceKey(cluster), raw, value === null ? '' : JSON.stringify(value))) return true
  }
}

/** A rejoin ends the fence of that failover: the cluster is a DR secondary of the new primary. */
export function clearFence(store: FenceStore, cluster: string, failoverId: string): Promise<boolean> {
  return rewriteFence(store, cluster, failoverId, () => null)
}
