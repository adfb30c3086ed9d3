import type { OperationRecord } from '../operations/operation-record.ts'
import type { Leg } from '../role-changes/leg.ts'
import { RejoinSubject } from './failovers-subject.ts'

/** A DR secondary a failed role change did not re-point to the primary it promoted. */
export interface LeftBehind {
  cluster: string
  /** The primary the operation promoted: the one the cluster is to follow. */
  primary: string
  secondary_id: string
  replication_cluster_id: string | null
  /** The operation that left it behind. */
  left_by: string
  /**
   * The WALs the cluster wrote that the primary never received, when it is the leg's old primary (0 once a
   * switchover's catch-up proved it); null for a follower (its operation counted the loss, if any).
   */
  wals_lost: number | null
  /** Update-primary was sent to it (written before the call): a sync under way is waited for, not cut off. */
  repoint_sent: boolean
}

const finishedUnsuccessfully = (op: OperationRecord) => op.state === 'failed' || op.state === 'cancelled'

/**
 * Whether `latest`, the newest operation that held `cluster`, ended with a primary promoted and `cluster` among the
 * clusters that were to follow it, not yet known to: a switchover or drill that failed after its promote (the old
 * primary demoted, following no one), a failover whose follower was not re-pointed, or a rejoin of such a cluster
 * that failed too. The newest only: any later operation on the cluster makes that record history.
 */
export function leftBehind(cluster: string, latest: OperationRecord | undefined): LeftBehind | undefined {
  if (latest === undefined || !finishedUnsuccessfully(latest)) return undefined
  if (latest.kind === 'rejoin') {
    const subject = RejoinSubject.safeParse(latest.subject)
    if (!subject.success || subject.data.left_by === undefined || subject.data.cluster !== cluster) return undefined
    const leg = (latest.data as { legs?: Leg[] }).legs?.[0]
    if (leg === undefined) return undefined
    return fromLeg(cluster, leg, subject.data.left_by)
  }
  const data = latest.data as { legs?: Leg[]; undo?: Leg }
  // The last leg that promoted a primary, or sent a promote that may have taken effect (the rejoin's preflight reads
  // whether it did): the undo (the old primary promoted back) comes after every leg.
  const promoted = [...(data.legs ?? []), ...(data.undo === undefined ? [] : [data.undo])].filter(
    (l) => l.promoted_at !== null || l.promote_sent_at !== null,
  )
  const last = promoted.at(-1)
  if (last === undefined || last.to === cluster) return undefined
  return fromLeg(cluster, last, latest.id)
}

function fromLeg(cluster: string, leg: Leg, leftBy: string): LeftBehind | undefined {
  const follower = leg.followers.find((f) => f.cluster === cluster)
  if (follower === undefined) return undefined
  return {
    cluster,
    primary: leg.to,
    secondary_id: follower.secondary_id,
    replication_cluster_id: leg.replication_cluster_id,
    left_by: leftBy,
    wals_lost: leg.from === cluster ? leg.wals_lost : null,
    repoint_sent: (leg.repoint_sent ?? []).includes(cluster),
  }
}
