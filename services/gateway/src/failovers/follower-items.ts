import type { ClusterStatus } from '../agents/agent-types.ts'
import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'
import type { PlanItem } from './failovers.schemas.ts'

export interface FollowerRead {
  name: string
  /** Its agent's status; undefined when it gave none. */
  status: ClusterStatus | undefined
}

/**
 * The other DR secondaries, as the failover will re-point them to the new primary after its promote: one older than
 * the new primary could not follow it (the DR fact sheet: a secondary may be newer than its primary, never older), so
 * the failover is refused before anything changes; one that gave no status is a warning (on the lost site it may be
 * lost too; so is one whose agent cannot read its Vault), since its re-pointing step waits for it and then fails the
 * failover after the promote.
 */
export function followerItems(pair: Pair, followers: FollowerRead[]): PlanItem[] {
  const { secondary: newPrimary } = pair
  const newPrimaryVersion = pair.versions.secondary
  if (followers.length === 0) {
    return [item('followers', 'pass', 'OK', `${pair.primary} has no other DR secondary vault-dr knows of`, null)]
  }
  return followers.map(({ name, status }) => {
    const id = `follower:${name}`
    const unreadable =
      status === undefined
        ? 'gave no status'
        : !status.vault.reachable
          ? 'has an agent that cannot reach its Vault'
          : status.vault.sealed === true
            ? 'is sealed'
            : status.replication == null
              ? 'gave no DR status'
              : undefined
    if (status === undefined || unreadable !== undefined) {
      return item(
        id,
        'warn',
        'UNREACHABLE',
        `${name} ${unreadable}: its re-pointing to ${newPrimary} (after the promote) waits for its agent, then fails the failover with ${newPrimary} promoted and ${name} left following the lost primary`,
        `Bring it up, or deregister it (DELETE /v1/clusters/${name}) to fail over without it. Left registered, once it is back vault-dr rejoin ${name} re-points it to ${newPrimary}.`,
      )
    }
    const version = status.vault.version
    if ((secondaryVersionOrder(version, newPrimaryVersion ?? undefined) ?? 0) < 0) {
      return item(
        id,
        'fail',
        'VERSION_SKEW',
        `${name} runs Vault ${version}, older than ${newPrimary}'s ${newPrimaryVersion}: re-pointed to it, it could not follow`,
        `Upgrade ${name} to ${newPrimaryVersion} or newer first; or deregister it (DELETE /v1/clusters/${name}) to fail over without it: it keeps following the lost primary, and pairing it with ${newPrimary} later is a handshake (a wipe and a full sync).`,
      )
    }
    return item(id, 'pass', 'OK', `${name} will follow ${newPrimary} (update-primary, no wipe)`, null)
  })
}

function item(name: string, status: PlanItem['status'], code: string, detail: string, fix: string | null): PlanItem {
  return { name, status, code, detail, fix }
}
