import type { TrackedView } from './vantage-history.ts'

export type PrimaryVerdict =
  /** Down as the guard requires: failover allowed (data loss permitting). */
  | { verdict: 'down'; detail: string }
  /** Not down long enough, or seen down from too few places: refuse, and say what is missing. */
  | { verdict: 'not_down'; detail: string; fix: string }
  /** Reachable and serving: a failover would make two primaries; use a switchover. */
  | { verdict: 'healthy'; detail: string; fix: string }

/** How many vantage points must agree the primary is unreachable, unless its agent says Vault is sealed or gone. */
export const VANTAGE_QUORUM = 2

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

/**
 * Whether the primary counts as lost: unreachable from at least two vantage points for longer than `downForMs` each,
 * or its own agent reports its Vault sealed or unreachable (for as long). A primary the gateway reaches through its
 * agent, with Vault answering, is healthy whatever the DR site sees: that is a partition, not a loss.
 *
 * `selfFenceWithinMs`: the old primary's agent demotes it itself that long after its last contact with the gateway
 * (VAULT_DR_FENCE_ON_ISOLATION). A primary lost from the vantage points but out of the gateway's reach for less than
 * that may still take writes in its site: not down yet, whatever down_for says.
 */
export function judgePrimary(
  views: TrackedView[],
  now: number,
  downForMs: number,
  selfFenceWithinMs: number | null = null,
): PrimaryVerdict {
  const downFor = (v: TrackedView) => now - Date.parse(v.since)
  const gateway = views.find((v) => v.point === 'gateway')
  const agent = views.find((v) => v.point === 'primary_agent')
  if (gateway?.reaches === true && agent?.reaches === true) {
    const unseen = views.filter((v) => v.reaches === false).map((v) => v.point)
    return {
      verdict: 'healthy',
      detail:
        unseen.length === 0
          ? 'the primary is reachable and its Vault answers'
          : `the primary is healthy from the gateway's side (its agent reaches its Vault) while ${unseen.join(' and ')} cannot reach it: a partition, not a lost site`,
      fix:
        unseen.length === 0
          ? 'Use a switchover (vault-dr switchover --to <secondary>): it demotes the primary first and loses no data.'
          : 'Repair the network between the sites, or use a switchover, which demotes the primary first; a failover now would leave two primaries.',
    }
  }
  if (agent?.gone === true) {
    const held = downFor(agent)
    if (held >= downForMs) return { verdict: 'down', detail: `${agent.detail} for ${seconds(held)}` }
    return {
      verdict: 'not_down',
      detail: `${agent.detail}, for ${seconds(held)} of the ${seconds(downForMs)} down_for asks`,
      fix: `Wait ${seconds(downForMs - held)} and ask again, or lower down_for if you are sure.`,
    }
  }
  const lost = views.filter((v) => v.reaches === false)
  const long = lost.filter((v) => downFor(v) >= downForMs)
  if (long.length >= VANTAGE_QUORUM) {
    const detail = `unreachable from ${long.map((v) => `${v.point} (${seconds(downFor(v))})`).join(', ')}`
    const unfenced =
      selfFenceWithinMs === null ? 0 : selfFenceWithinMs - (gateway?.reaches === false ? downFor(gateway) : 0)
    if (unfenced > 0 && selfFenceWithinMs !== null) {
      return {
        verdict: 'not_down',
        detail: `${detail}, but its agent demotes it itself only ${seconds(selfFenceWithinMs)} after it last answered the gateway, ${seconds(selfFenceWithinMs - unfenced)} ago: until then it may still take writes`,
        fix: `Wait ${seconds(unfenced)}: the promote comes once the old primary has surely demoted itself (VAULT_DR_FENCE_ON_ISOLATION on its agent).`,
      }
    }
    return { verdict: 'down', detail }
  }
  if (lost.length >= VANTAGE_QUORUM) {
    const wait = Math.max(
      ...lost
        .map((v) => downForMs - downFor(v))
        .sort((a, b) => a - b)
        .slice(0, VANTAGE_QUORUM),
    )
    return {
      verdict: 'not_down',
      detail: `unreachable from ${lost.map((v) => `${v.point} for ${seconds(downFor(v))}`).join(', ')}; down_for is ${seconds(downForMs)}`,
      fix: `Wait ${seconds(wait)} and ask again: a primary must stay unreachable for down_for before a failover.`,
    }
  }
  const unknown = views.filter((v) => v.reaches === null).map((v) => v.point)
  return {
    verdict: 'not_down',
    detail:
      lost.length === 0
        ? 'no vantage point sees the primary unreachable'
        : `only ${lost.map((v) => v.point).join(', ')} cannot reach the primary${unknown.length > 0 ? `; unknown from ${unknown.join(', ')}` : ''}`,
    fix: `A failover needs the primary unreachable from ${VANTAGE_QUORUM} vantage points (or its agent reporting Vault sealed or gone): check the ones that still reach it, or use a switchover if the primary is up.`,
  }
}
