import type { OperationRecord } from '../operations/operation-record.ts'
import type { Leg } from '../role-changes/leg.ts'
import type { PairedSecondary } from '../store/store.ts'

/**
 * The pairs a succeeded switchover or drill left (each follower of its last leg's new primary, with its secondary
 * id), for whoever lists pairs: after a role change the handshakes' pairs are the other way round. Undefined for an
 * operation that did not succeed or is of another kind.
 */
export function pairsAfter(op: Pick<OperationRecord, 'kind' | 'state' | 'data'>): PairedSecondary[] | undefined {
  if ((op.kind !== 'switchover' && op.kind !== 'drill') || op.state !== 'succeeded') return undefined
  const legs = (op.data as { legs?: Leg[] }).legs ?? []
  const last = legs.at(-1)
  if (last === undefined) return undefined
  return last.followers.map((f) => ({ secondary: f.cluster, primary: last.to, secondary_id: f.secondary_id }))
}
