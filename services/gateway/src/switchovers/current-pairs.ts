import type { PairedSecondary, Store } from '../store/store.ts'
import { pairsAfter } from './pairs-after.ts'

/** How many of the newest succeeded operations are read for the pairs they left. */
const RECENT_OPERATIONS = 50

/**
 * Each secondary with the primary it was last joined to: by the newest succeeded switchover or drill that re-pointed
 * or promoted it, else by its last handshake (the store's pairs, which know only handshakes).
 */
export async function currentPairs(store: Store): Promise<PairedSecondary[]> {
  const [handshakes, ops] = await Promise.all([
    store.pairedSecondaries(),
    store.listOperations({ state: 'succeeded', limit: RECENT_OPERATIONS }),
  ])
  // A cluster the newest operation touching it made a primary has no pair; one it re-pointed has that pair.
  const decided = new Map<string, PairedSecondary | null>()
  for (const op of ops) {
    const pairs = pairsAfter(op) ?? []
    for (const pair of pairs) if (!decided.has(pair.secondary)) decided.set(pair.secondary, pair)
    const primary = pairs[0]?.primary
    if (primary !== undefined && !decided.has(primary)) decided.set(primary, null)
  }
  for (const pair of handshakes) if (!decided.has(pair.secondary)) decided.set(pair.secondary, pair)
  return [...decided.values()].filter((p): p is PairedSecondary => p !== null)
}
