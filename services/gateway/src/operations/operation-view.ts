import type { HandshakeRecord } from '../store/store.ts'
import type { OperationRecord } from './operation-record.ts'
import type { Operation } from './operations.schemas.ts'

/**
 * A handshake as an operation: subject = what was asked, result = the token's metadata and the checks. `pastNoReturn`:
 * whether it started its point of no return (the runner's kinds say which step that is).
 */
export function handshakeAsOperation(hs: HandshakeRecord, pastNoReturn: boolean): Operation {
  return {
    id: hs.id,
    kind: 'handshake',
    state: hs.state,
    clusters: [hs.primary, hs.secondary],
    subject: { primary: hs.primary, secondary: hs.secondary, secondary_id: hs.secondary_id, options: hs.options },
    result: { token: hs.token, checks: hs.checks },
    steps: hs.steps,
    error: hs.error,
    cancel_requested: hs.cancel_requested,
    past_point_of_no_return: pastNoReturn,
    created_at: hs.created_at,
    updated_at: hs.updated_at,
    finished_at: hs.finished_at,
  }
}

/** An operation of the generic journal as the API shows it: what only the gateway needs stays inside. */
export function journalAsOperation(op: OperationRecord, pastNoReturn: boolean): Operation {
  return {
    id: op.id,
    kind: op.kind,
    state: op.state,
    clusters: op.clusters,
    subject: op.subject,
    result: Object.keys(op.data).length === 0 ? null : op.data,
    steps: op.steps,
    error: op.error,
    cancel_requested: op.cancel_requested,
    past_point_of_no_return: pastNoReturn,
    created_at: op.created_at,
    updated_at: op.updated_at,
    finished_at: op.finished_at,
  }
}
