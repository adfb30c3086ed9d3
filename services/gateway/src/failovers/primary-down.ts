import type { FollowerStreams } from './follower-streams.ts'
import { PEER_CONTACT_FRESH_MS, type PeerContact } from './primary-contact.ts'
import type { TrackedView } from './vantage-history.ts'

/** An old primary whose agent demotes it on isolation: how long that takes, and what its other secondaries say. */
export interface SelfFence {
  withinMs: number
  followers: FollowerStreams
}

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
 * `selfFence`: the old primary's agent demotes it itself that long after both a gateway's last quorum contact
 * and its DR secondaries' disconnection (VAULT_DR_FENCE_ON_ISOLATION): until then a primary lost from the vantage
 * points may still take writes in its site, so it is not down yet, whatever down_for says (selfFenceWait).
 *
 * `peers`: when the gateways sharing the store (this one too) last reached its agent with a marked read it answered.
 * Another gateway's that did in the last PEER_CONTACT_FRESH_MS, its Vault a live DR primary, makes it not down (a
 * partition between the gateways' sites); and any such contact restarted its agent's isolation clock, which a
 * self-fence wait counts from.
 */
export function judgePrimary(
  views: TrackedView[],
  now: number,
  downForMs: number,
  selfFence: SelfFence | null = null,
  peers: readonly PeerContact[] = [],
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
  const fresh = peers.filter((p) => !p.own && p.live && now - p.at <= PEER_CONTACT_FRESH_MS).sort((a, b) => b.at - a.at)
  if (fresh.length > 0) {
    const seen = fresh.map((p) => `${p.gateway} ${seconds(Math.max(0, now - p.at))} ago`).join(', ')
    return {
      verdict: 'not_down',
      detail: `another gateway on this store still reaches it, its Vault a DR primary (${seen}): a partition between the gateways' sites, not a lost site`,
      fix: `Repair the network between the sites: a failover now would leave two primaries. If that gateway's site is being lost too, ask again once it has not reached the primary for ${seconds(PEER_CONTACT_FRESH_MS)}.`,
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
    const waiting = selfFence === null ? undefined : selfFenceWait(views, now, selfFence, peers)
    if (waiting !== undefined)
      return { verdict: 'not_down', detail: `${detail}, but ${waiting.detail}`, fix: waiting.fix }
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

/**
 * What is left to wait for before an old primary whose agent fences it on isolation has demoted itself; undefined once
 * it has. Its agent counts from when both held: no gateway's quorum contact (this gateway's tracked reads failing
 * since, and every gateway's recorded contact, this one's included, before) and every DR secondary disconnected (the pair's secondary's view, and its other
 * secondaries' streams as their agents report them). A secondary still streaming from it, or one that cannot tell,
 * keeps its agent from fencing it.
 */
function selfFenceWait(
  views: TrackedView[],
  now: number,
  fence: SelfFence,
  peers: readonly PeerContact[],
): { detail: string; fix: string } | undefined {
  const { withinMs, followers } = fence
  const gateway = views.find((v) => v.point === 'gateway')
  const stream = views.find((v) => v.point === 'secondary_vault')
  const held = (what: string) => ({
    detail: `its agent fences it on isolation only once every DR secondary is disconnected, and ${what}`,
    fix: 'If the primary still runs, it is not lost: repair the network, or use a switchover once the gateway reaches its agent. If its site is lost, stop or cut off the secondaries still streaming from it (or demote it by hand), and ask again.',
  })
  if (followers.streaming.length > 0) {
    const names = followers.streaming.join(', ')
    return held(`${names} still ${followers.streaming.length === 1 ? 'streams' : 'stream'} from it`)
  }
  if (stream?.reaches !== false) {
    return held(`its secondary ${stream?.reaches === true ? 'still streams from it' : 'cannot tell whether it does'}`)
  }
  const moments = [gateway, stream].map((v) => (v?.reaches === false ? Date.parse(v.since) : now))
  const from = Math.max(...moments, followers.lostSince ?? 0, ...peers.map((p) => p.at))
  const left = withinMs - (now - from)
  if (left <= 0) return undefined
  return {
    detail: `its agent demotes it itself only ${seconds(withinMs)} after it is cut off from both the gateway and every DR secondary, ${seconds(now - from)} ago: until then it may still take writes`,
    fix: `Wait ${seconds(left)}: the promote comes once the old primary has demoted itself (VAULT_DR_FENCE_ON_ISOLATION on its agent).`,
  }
}
