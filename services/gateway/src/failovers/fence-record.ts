import { z } from 'zod'
import type { OperationLease, Store } from '../store/store.ts'
import { FailoverErrors } from './failover-errors.ts'

/**
 * A primary a failover promoted another cluster away from: until its agent has demoted it, it must not take
 * writes. Kept in the store's meta under `fence/<cluster>`, so every gateway sharing the store enforces it.
 */
export const FenceRecord = z.object({
  cluster: z.string(),
  /**
   * The role epoch when the fence was written (right before the promote raised it): its demote carries this or a
   * later one, so an agent that saw a later role change refuses.
   */
  epoch: z.number().int().nonnegative(),
  failover_id: z.string(),
  new_primary: z.string(),
  fenced_at: z.iso.datetime(),
  /** When its agent demoted it (or found it no longer primary); null while it is away or still primary. */
  demoted_at: z.iso.datetime().nullable(),
  /** Its last WAL when it came back, read before the demote: what it wrote that the new primary never got is lost. */
  last_wal: z.number().nullable().default(null),
  /**
   * True while the failover's promote is about to be sent (written right before it): no gateway acts on the fence
   * until the failover saw the promote sent, or a fence keeper sees the new primary answer as a DR primary (the
   * promote landed, its gateway killed before it could say so). A promote refused, or never sent, takes it back.
   * Absent: acted on (a fence written after its promote).
   */
  pending_promote: z.boolean().optional(),
})
export type FenceRecord = z.infer<typeof FenceRecord>

export const fenceKey = (cluster: string) => `fence/${cluster}`

export interface FenceMeta {
  getMeta(key: string): Promise<string | undefined>
  setMeta(key: string, value: string): Promise<void>
  metaUnder(prefix: string): Promise<Map<string, string>>
}

/**
 * What a fence becomes once a rejoin ended it: no fence, but it names the failover whose fence it was, so a gateway
 * that lost its lease mid-step cannot write that failover's fence again (the cluster may be a primary by then).
 */
const EndedFence = z.object({ cluster: z.string(), ended_failover_id: z.string(), ended_at: z.iso.datetime() })

const json = (raw: string | undefined): unknown => {
  if (raw === undefined || raw === '') return undefined
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}

const parseFence = (raw: string | undefined): FenceRecord | undefined => {
  const parsed = FenceRecord.safeParse(json(raw))
  return parsed.success ? parsed.data : undefined
}

/** The failover whose fence a rejoin ended, when the entry is such an end. */
const endedFailoverOf = (raw: string | undefined): string | undefined => {
  const parsed = EndedFence.safeParse(json(raw))
  return parsed.success ? parsed.data.ended_failover_id : undefined
}

/** An entry under `fence/<cluster>` that reads neither as a fence nor as an ended one (damaged, or a newer shape). */
export const UNREADABLE_FENCE = 'unreadable'

/** How every message names an entry of `cluster` no one can read. */
export const unreadableFence = (cluster: string) =>
  `${cluster}'s fence entry (${fenceKey(cluster)}) cannot be read (damaged, or written by a newer gateway)`

/** The fence of `cluster` on record, none, or UNREADABLE_FENCE: never taken for none (see Fences). */
export async function readFenceEntry(
  store: Pick<FenceMeta, 'getMeta'>,
  cluster: string,
): Promise<FenceRecord | typeof UNREADABLE_FENCE | undefined> {
  return fenceEntryOf(await store.getMeta(fenceKey(cluster)))
}

/** A stored entry as a fence, none (absent, cleared or ended), or UNREADABLE_FENCE. */
function fenceEntryOf(raw: string | undefined): FenceRecord | typeof UNREADABLE_FENCE | undefined {
  const fence = parseFence(raw)
  if (fence !== undefined) return fence
  return raw === undefined || raw === '' || endedFailoverOf(raw) !== undefined ? undefined : UNREADABLE_FENCE
}

/** The fence of `cluster` on record, or none; an entry no one can read refuses (GATEWAY_ERR_FENCE_UNREADABLE). */
export async function readFence(store: Pick<FenceMeta, 'getMeta'>, cluster: string): Promise<FenceRecord | undefined> {
  const entry = await readFenceEntry(store, cluster)
  if (entry !== UNREADABLE_FENCE) return entry
  throw FailoverErrors.fenceUnreadable(`${unreadableFence(cluster)}: it may be fenced, so it is treated as fenced`)
}

/**
 * The fences on record, by cluster, and the clusters whose fence entry does not read as a fence nor as an ended one
 * (a damaged record, or a shape this version does not know): never taken for no fence, as that would let a returning
 * old primary be served; each reader refuses what a fence refuses, and says so.
 */
export class Fences extends Map<string, FenceRecord> {
  readonly unreadable = new Set<string>()

  /** Fenced as far as anyone can tell: a fence on record, or an entry no one can read. */
  covers(cluster: string): boolean {
    return this.has(cluster) || this.unreadable.has(cluster)
  }
}

/** Every fence recorded (a cleared one is none), by cluster, in one read. */
export async function readFences(store: FenceMeta): Promise<Fences> {
  const fences = new Fences()
  for (const [key, raw] of await store.metaUnder(fenceKey(''))) {
    const entry = fenceEntryOf(raw)
    if (entry === UNREADABLE_FENCE) fences.unreadable.add(key.slice(fenceKey('').length))
    else if (entry !== undefined) fences.set(entry.cluster, entry)
  }
  return fences
}

export function writeFence(store: FenceMeta, fence: FenceRecord): Promise<void> {
  return store.setMeta(fenceKey(fence.cluster), JSON.stringify(fence))
}

/** The meta calls a fence is changed with once written: compare-and-set, as several gateways change it. */
export type FenceStore = FenceMeta & Pick<Store, 'replaceMetaIf'>

/** A failover's fence that a rejoin ended already: its run went on in another gateway, and this one is stale. */
export class FenceEnded extends Error {}

/**
 * Writes the fence `fence.failover_id` puts on `fence.cluster` unless it is on record: compare-and-set over what was
 * read, under the failover's lease when it has one (LeaseLost once another gateway took it over), so a fence another
 * gateway wrote meanwhile (the keeper's demote recorded in it) is kept, and a gateway paused past its lease never
 * writes it again once a rejoin ended it (FenceEnded). Answers the fence on record.
 */
export async function createFence(store: FenceStore, fence: FenceRecord, lease?: OperationLease): Promise<FenceRecord> {
  const key = fenceKey(fence.cluster)
  for (;;) {
    const raw = await store.getMeta(key)
    const existing = parseFence(raw)
    if (existing?.failover_id === fence.failover_id) return existing
    if (endedFailoverOf(raw) === fence.failover_id) {
      throw new FenceEnded(`a rejoin ended the fence failover ${fence.failover_id} put on ${fence.cluster}`)
    }
    // A fence for a promote not sent yet never replaces another failover's: that one stands (and is never taken back
    // with this one's).
    if (existing !== undefined && fence.pending_promote === true) return existing
    if (await store.replaceMetaIf(key, raw, JSON.stringify(fence), lease)) return fence
  }
}

/**
 * Changes the fence `failoverId` recorded on `cluster`, from what the store has now, only while the store still has
 * that very value (read again and redone when another gateway changed it first); nothing once it was ended or
 * replaced by another failover's. `next` answers the fence to write, or null to end it (an entry that names the failover, read as no fence).
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
    const ended = { cluster, ended_failover_id: failoverId, ended_at: new Date().toISOString() }
    if (await store.replaceMetaIf(fenceKey(cluster), raw, JSON.stringify(value ?? ended))) return true
  }
}

/** Whether a fence is acted on: not one written for a promote that may not have been sent. */
export const isArmed = (fence: FenceRecord) => fence.pending_promote !== true

/**
 * Settles the fence `failoverId` wrote before its promote, compare-and-set (under the failover's lease when given):
 * replaced by `next` (null: deleted) while it is still pending. Answers `whenArmed` once it is armed, false when the
 * fence on record is not this failover's, true when it wrote.
 */
async function settlePending(
  store: FenceStore,
  cluster: string,
  failoverId: string,
  lease: OperationLease | undefined,
  next: (now: FenceRecord) => string | null,
  whenArmed: boolean,
): Promise<boolean> {
  const key = fenceKey(cluster)
  for (;;) {
    const raw = await store.getMeta(key)
    const now = parseFence(raw)
    if (now?.failover_id !== failoverId) return false
    if (isArmed(now)) return whenArmed
    if (await store.replaceMetaIf(key, raw, next(now), lease)) return true
  }
}

/**
 * Arms the fence `failoverId` wrote before its promote (the promote was sent, or the new primary answers as one).
 * True when the fence on record is this one, armed.
 */
export function armFence(store: FenceStore, cluster: string, failoverId: string, lease?: OperationLease) {
  const armed = ({ pending_promote: _, ...rest }: FenceRecord) => JSON.stringify(rest)
  return settlePending(store, cluster, failoverId, lease, armed, true)
}

/**
 * Takes back the fence `failoverId` wrote on `cluster` before a promote that was then never sent, or refused: nothing
 * changed, so the old primary must not be demoted when it answers. Only while it is still pending: armed (a fence
 * keeper saw the new primary answer as one: the promote landed after all), it stays. True when it did.
 */
export function withdrawFence(store: FenceStore, cluster: string, failoverId: string, lease?: OperationLease) {
  return settlePending(store, cluster, failoverId, lease, () => null, false)
}

/** A rejoin ends the fence of that failover: the cluster is a DR secondary of the new primary. */
export function clearFence(store: FenceStore, cluster: string, failoverId: string): Promise<boolean> {
  return rewriteFence(store, cluster, failoverId, () => null)
}
