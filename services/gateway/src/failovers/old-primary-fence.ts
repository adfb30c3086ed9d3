import { selfFenceWithinMs } from '@vault-dr/core'
import type { Pair } from '../pairs/pairs.schemas.ts'
import type { OldPrimaryFence, PlanItem } from './failovers.schemas.ts'
import type { SelfFenceRecord } from './self-fence-record.ts'

/** The old primary's fence: its agent's setting as read now, else as last seen by any gateway on the store. */
export function oldPrimaryFence(pair: Pair, lastSeen: SelfFenceRecord | undefined): OldPrimaryFence {
  const primary = pair.clusters.primary
  if (primary.agent_reachable) {
    return {
      by: 'gateway',
      fence_on_isolation_ms: primary.fence_on_isolation_ms ?? null,
      within_ms: null,
      seen_at: primary.checked_at,
      followers_unknown: [],
    }
  }
  const none = { within_ms: null, followers_unknown: [] }
  if (lastSeen === undefined) return { by: 'unknown', fence_on_isolation_ms: null, seen_at: null, ...none }
  const ms = lastSeen.fence_on_isolation_ms
  if (ms === null) return { by: 'none', fence_on_isolation_ms: null, seen_at: lastSeen.seen_at, ...none }
  return {
    by: 'self',
    fence_on_isolation_ms: ms,
    within_ms: selfFenceWithinMs(ms),
    seen_at: lastSeen.seen_at,
    followers_unknown: [],
  }
}

/** How long a failover may wait for the old primary to demote itself, by its agent's setting as known (0: none). */
export function selfFenceWaitMs(fence: OldPrimaryFence): number {
  return fence.fence_on_isolation_ms === null ? 0 : selfFenceWithinMs(fence.fence_on_isolation_ms)
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

/** The plan's item on it: never a refusal (the wait for a self-fence is the primary verdict's), a warning without. */
export function oldPrimaryFenceItem(fence: OldPrimaryFence, primary: string): PlanItem {
  const name = 'old_primary_fence'
  switch (fence.by) {
    case 'gateway':
      return {
        name,
        status: 'pass',
        code: 'OK',
        detail: `${primary}'s agent answers the gateway: the failover fences ${primary} through it`,
        fix: null,
      }
    case 'self': {
      const detail =
        `${primary}'s agent demotes it itself when cut off (VAULT_DR_FENCE_ON_ISOLATION ${seconds(fence.fence_on_isolation_ms ?? 0)}, ` +
        `seen ${fence.seen_at}): the promote waits until ${seconds(fence.within_ms ?? 0)} after it is cut off from the gateway and every DR secondary`
      const unseen = fence.followers_unknown.join(', ')
      if (unseen === '') return { name, status: 'pass', code: 'OK', detail, fix: null }
      return {
        name,
        status: 'warn',
        code: 'SELF_FENCE_FOLLOWERS_UNKNOWN',
        detail: `${detail}; but ${unseen} gave no status: one still streaming from ${primary} keeps its agent from fencing it`,
        fix: `Find out whether ${unseen} still ${fence.followers_unknown.length === 1 ? 'streams' : 'stream'} from ${primary}: if so, stop or cut it off before failing over (an automatic failover holds meanwhile).`,
      }
    }
    case 'none':
    case 'unknown': {
      const why =
        fence.by === 'none'
          ? `${primary}'s agent was last seen (${fence.seen_at}) with self-fencing off (VAULT_DR_FENCE_ON_ISOLATION)`
          : `no gateway ever read whether ${primary}'s agent fences it on isolation`
      return {
        name,
        status: 'warn',
        code: fence.by === 'none' ? 'NO_SELF_FENCE' : 'SELF_FENCE_UNKNOWN',
        detail: `${why}: if its site is cut off rather than lost, clients there may still write to it, and those writes are lost`,
        fix: `Make sure nothing reaches ${primary} (withdraw it from DNS and balancers; its agent's GET /serving answers 503 once it is fenced); set VAULT_DR_FENCE_ON_ISOLATION on its agent for the next time.`,
      }
    }
  }
}
