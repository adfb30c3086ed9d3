import { pollUntil } from '../util/poll.ts'
import { type ClusterStatus, readClusterStatus } from './cluster-status.ts'
import type { VaultAgent } from './vault-agent.ts'

/** The first wait for a cluster to settle, doubled up to SETTLE_POLL_MS: Vault is often back within a few ms. */
const SETTLE_FIRST_POLL_MS = 5
const SETTLE_POLL_MS = 100

/**
 * Reads the cluster's status until `done` holds, for at most `timeoutMs`: Vault answers a DR change before it is over
 * (no active node for a moment after enable, promote, demote, update-primary and disable; the setup after a
 * secondary's activation). The status settled on is shared with the agent's readers; undefined at the deadline.
 */
export async function settleAfterChange(
  agent: VaultAgent,
  done: (status: ClusterStatus) => boolean,
  timeoutMs: number,
): Promise<ClusterStatus | undefined> {
  const after = await pollUntil(
    async () => {
      const s = await readClusterStatus(agent.vault)
      return done(s) ? s : undefined
    },
    { timeoutMs, intervalMs: SETTLE_POLL_MS, backoffFromMs: SETTLE_FIRST_POLL_MS },
  )
  agent.invalidateStatus()
  if (after !== undefined) agent.rememberStatus(after)
  return after
}
