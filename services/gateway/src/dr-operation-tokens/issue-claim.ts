import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { parseMetaRecord } from '../store/meta-record.ts'
import type { Store } from '../store/store.ts'

/**
 * How long one gateway's claim to issue a primary's DR operation token holds, as the others see it: longer than an
 * issue takes (an agent change call), short enough that a gateway that died holding it delays the next by little.
 */
export const ISSUE_CLAIM_MS = 90_000
/** How often a gateway that found the issue claimed by another looks for the token it issues. */
const WAIT_POLL_MS = 100

const claimKey = (primary: string) => `dr-token-issuing/${primary}`

const Claim = z.object({ by: z.string(), until: z.number() })
type Claim = z.infer<typeof Claim>

/**
 * One gateway at a time issues a primary's DR operation token: each sharing the store would otherwise issue its own
 * at each rotation (the upkeep runs on every gateway, an operator may rotate through any), and every token but the one
 * stored stays valid in Vault, unknown to anyone, until it expires. The claim is a record in the store's meta, taken by
 * compare-and-set and given back after the issue; one left by a gateway that died ends after ISSUE_CLAIM_MS.
 */
export async function issueOnce<T>(
  store: Pick<Store, 'getMeta' | 'replaceMetaIf'>,
  primary: string,
  now: () => number,
  issue: () => Promise<T>,
  /**
   * What a gateway that did not issue answers, once the one that held the claim gave it back (or its claim ran out):
   * what that one stored, or undefined when it stored nothing (it failed), to try for the claim again.
   */
  theirs: () => Promise<T | undefined>,
  signal?: AbortSignal,
): Promise<T> {
  const key = claimKey(primary)
  const by = randomUUID()
  for (;;) {
    const raw = await store.getMeta(key)
    const held = parseMetaRecord(Claim, raw)
    // This call's own claim: a write the store applied though its answer was lost (an etcd request sent again to
    // another member answers false then); waited for, it would hold the issue back for the whole claim.
    const ours = held?.by === by && raw !== undefined
    if (held === undefined || held.until <= now() || ours) {
      // Its end counted from when it is taken (a claim taken after waiting out a dead gateway's holds its full time).
      const mine = ours ? raw : JSON.stringify({ by, until: now() + ISSUE_CLAIM_MS } satisfies Claim)
      if (!ours && !(await store.replaceMetaIf(key, raw, mine))) continue
      try {
        // Another gateway may have issued and given the claim back since the caller read the token: that one is it.
        return (await theirs()) ?? (await issue())
      } finally {
        await store.replaceMetaIf(key, mine, null).catch(() => undefined)
      }
    }
    // Another gateway issues it now: its token is the one to use once it is stored.
    while ((await store.getMeta(key)) === raw && now() < held.until) {
      await sleep(WAIT_POLL_MS, undefined, signal ? { signal } : undefined)
    }
    const stored = await theirs()
    if (stored !== undefined) return stored
  }
}
