import type { EventsToWrite } from '../store/events-to-write.ts'
import type { HandshakePatch, HandshakeRecord, NewEvent, Store } from '../store/store.ts'
import type { OperationJournal } from './operation-journal.ts'
import type { GenericOperationStore, OperationPatch, OperationRecord } from './operation-record.ts'

/** The handshake table as a journal. */
export function handshakeJournal(store: Store): OperationJournal<HandshakeRecord> {
  return {
    get: (id) => store.getHandshake(id),
    update: (id, patch, at, events, owner, opts) =>
      store.updateHandshake(
        id,
        patch as HandshakePatch,
        at,
        events as EventsToWrite<NewEvent> | undefined,
        owner,
        opts,
      ),
    claim: (id, owner, now, until, ownName) => store.claim(id, owner, now, until, ownName),
    renew: (id, owner, until) => store.renew(id, owner, until),
    release: (id, owner) => store.release(id, owner),
    resumable: (owner, now, ownName) => store.resumable(owner, now, ownName),
    cancelRequested: (id) => store.cancelRequested(id),
    events: (id, afterSeq) => store.events(id, afterSeq),
  }
}

/** The generic operations journal (switchovers, drills, …) as a journal. */
export function genericJournal(store: GenericOperationStore): OperationJournal<OperationRecord> {
  return {
    get: (id) => store.getOperation(id),
    update: (id, patch, at, events, owner, opts) =>
      store.updateOperation(id, patch as OperationPatch, at, events, owner, opts),
    claim: (id, owner, now, until, ownName) => store.claimOperation(id, owner, now, until, ownName),
    renew: (id, owner, until) => store.renewOperation(id, owner, until),
    release: (id, owner) => store.releaseOperation(id, owner),
    resumable: (owner, now, ownName) => store.resumableOperations(owner, now, ownName),
    cancelRequested: (id) => store.operationCancelRequested(id),
    events: (id, afterSeq) => store.operationEvents(id, afterSeq),
  }
}
