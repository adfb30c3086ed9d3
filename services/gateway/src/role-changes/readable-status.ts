import type { ClusterStatus } from '../agents/agent-types.ts'
import { runAgain } from '../operations/rerun-unfinished.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'

/** Why a status says no DR mode, in a few words. */
function whyNoMode(s: ClusterStatus): string {
  if (!s.vault.reachable) return 'its Vault is unreachable'
  if (s.vault.sealed === true) return 'its Vault is sealed'
  return 'its Vault did not answer sys/replication/dr/status'
}

/**
 * A role step decides only on a cluster that reported its DR mode. One that gave none (a real Vault has no active
 * node for a moment after a role change, or an agent restarted while its Vault was still changing) is passing: the
 * step is run again (VAULT_DR_AGENT_RETURN_MS) rather than fail on, or act on, a mode it does not know. A sealed one
 * fails the step at once.
 */
export function requireDrMode(cluster: string, s: ClusterStatus, deciding: string): void {
  if (s.replication !== null) return
  const err = SwitchoverErrors.statusUnreadable(
    `${cluster} gave no DR status (${whyNoMode(s)}), so ${deciding} waits for it`,
  )
  // A sealed Vault does not unseal by itself: waiting would only lengthen the outage.
  throw s.vault.sealed === true ? err : runAgain(err)
}
