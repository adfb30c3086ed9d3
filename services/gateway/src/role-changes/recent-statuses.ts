import type { ClusterStatus } from '../agents/agent-types.ts'
import type { RoleChangeClient } from './role-change-context.ts'

const statusOf = (result: { status: ClusterStatus }) => result.status

/** How long a status read by a run stays good for its next decision (the agents reuse theirs as long for a guard). */
export const RECENT_STATUS_MS = 250

/**
 * The statuses one run of a role change read, or got back from a change it made, kept for RECENT_STATUS_MS so the
 * step after the one that read them need not ask again. Every change the run sends forgets them all (a change on one
 * cluster shows in its peers' statuses too), and a read that was under way when a change was sent is not kept, nor
 * one that gave no DR mode.
 * Reads that wait for something to happen (polls) always ask the agent.
 */
export function recentStatuses(now: () => number = () => performance.now()) {
  const seen = new Map<string, { status: ClusterStatus; at: number }>()
  let changes = 0
  const forget = () => {
    changes++
    seen.clear()
  }
  // A status without a DR mode is not kept: what the next step decides on must be read again (it is passing).
  const keep = (cluster: string, status: ClusterStatus, since: number) => {
    if (since === changes && status.replication !== null) seen.set(cluster, { status, at: now() })
  }

  return {
    /** The status of `cluster` read in the last RECENT_STATUS_MS with no change sent since. */
    get(cluster: string): ClusterStatus | undefined {
      const entry = seen.get(cluster)
      return entry !== undefined && now() - entry.at <= RECENT_STATUS_MS ? entry.status : undefined
    },

    /** `client` (of `cluster`) whose status reads are kept, and whose changes forget what was kept. */
    track(cluster: string, client: RoleChangeClient): RoleChangeClient {
      /** A change: forgotten before it is sent and once it answered; the status it answers with is kept. */
      const change =
        <A extends unknown[], R>(send: (...args: A) => Promise<R>, statusOf?: (result: R) => ClusterStatus) =>
        async (...args: A): Promise<R> => {
          forget()
          try {
            const result = await send(...args)
            forget()
            if (statusOf !== undefined) keep(cluster, statusOf(result), changes)
            return result
          } catch (err) {
            forget()
            throw err
          }
        }
      return {
        async status(signal, opts) {
          const since = changes
          const status = await client.status(signal, opts)
          keep(cluster, status, since)
          return status
        },
        demote: change((...a: Parameters<RoleChangeClient['demote']>) => client.demote(...a), statusOf),
        promote: change((...a: Parameters<RoleChangeClient['promote']>) => client.promote(...a), statusOf),
        updatePrimary: change(
          (...a: Parameters<RoleChangeClient['updatePrimary']>) => client.updatePrimary(...a),
          statusOf,
        ),
        generatePublicKey: change((...a: Parameters<RoleChangeClient['generatePublicKey']>) =>
          client.generatePublicKey(...a),
        ),
        mintToken: change((...a: Parameters<RoleChangeClient['mintToken']>) => client.mintToken(...a)),
        revoke: change((...a: Parameters<RoleChangeClient['revoke']>) => client.revoke(...a)),
        checkWrites: (signal) => client.checkWrites(signal),
        checkMerkle: (token, signal) => client.checkMerkle(token, signal),
      }
    },
  }
}
