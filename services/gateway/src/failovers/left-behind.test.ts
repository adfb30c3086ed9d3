import { describe, expect, it } from 'vitest'
import type { OperationRecord } from '../operations/operation-record.ts'
import { type Leg, newLeg, reversed } from '../role-changes/leg.ts'
import { leftBehind } from './left-behind.ts'

const AT = '2026-12-06T10:00:00.000Z'

function op(
  kind: OperationRecord['kind'],
  state: OperationRecord['state'],
  data: Record<string, unknown>,
  subject = {},
) {
  return {
    id: `${kind}-1`,
    kind,
    state,
    clusters: ['dc1', 'dc2', 'dc3'],
    subject,
    data,
    steps: [],
    error: null,
    cancel_requested: false,
    idempotency_key: null,
    request_hash: null,
    created_at: AT,
    updated_at: AT,
    finished_at: AT,
  } satisfies OperationRecord
}

/** dc1 primary, dc2 promoted; dc1 and dc3 were to follow dc2. */
const leg = (patch: Partial<Leg> = {}): Leg => ({
  ...newLeg('dc1', 'dc2', 'dc2', [
    { cluster: 'dc1', secondary_id: 'dc1' },
    { cluster: 'dc3', secondary_id: 'dc3-id' },
  ]),
  replication_cluster_id: 'set-1',
  demote_sent_at: AT,
  promote_sent_at: AT,
  promoted_at: AT,
  wals_lost: 0,
  ...patch,
})

describe('leftBehind: the cluster a failed role change did not re-point to the primary it promoted', () => {
  it('finds the old primary and the other followers of a switchover that failed after its promote', () => {
    const failed = op('switchover', 'failed', { legs: [leg()] })
    expect(leftBehind('dc1', failed)).toEqual({
      cluster: 'dc1',
      primary: 'dc2',
      secondary_id: 'dc1',
      replication_cluster_id: 'set-1',
      left_by: 'switchover-1',
      wals_lost: 0,
      repoint_sent: false,
    })
    // A follower wrote nothing of its own: its loss is not the old primary's.
    expect(leftBehind('dc3', failed)).toMatchObject({ primary: 'dc2', secondary_id: 'dc3-id', wals_lost: null })
  })

  it('says when update-primary was sent to it, so a sync under way is waited for rather than cut off', () => {
    const sent = op('switchover', 'failed', { legs: [leg({ repoint_sent: ['dc3'] })] })
    expect(leftBehind('dc3', sent)?.repoint_sent).toBe(true)
    expect(leftBehind('dc1', sent)?.repoint_sent).toBe(false)
  })

  it('counts a promote sent and not answered (the preflight reads whether it took effect)', () => {
    const unanswered = op('switchover', 'failed', { legs: [leg({ promoted_at: null })] })
    expect(leftBehind('dc1', unanswered)?.primary).toBe('dc2')
  })

  it('finds nothing when the promote never went out, the operation succeeded or is unfinished, or for the primary itself', () => {
    const notPromoted = leg({ promote_sent_at: null, promoted_at: null })
    expect(leftBehind('dc1', op('switchover', 'failed', { legs: [notPromoted] }))).toBeUndefined()
    expect(leftBehind('dc1', op('switchover', 'succeeded', { legs: [leg()] }))).toBeUndefined()
    expect(leftBehind('dc1', op('switchover', 'running', { legs: [leg()] }))).toBeUndefined()
    expect(leftBehind('dc2', op('switchover', 'failed', { legs: [leg()] }))).toBeUndefined()
    expect(leftBehind('dc1', undefined)).toBeUndefined()
  })

  it("takes a drill's last promoted leg, and an undo after every leg", () => {
    const back = { ...reversed(leg()), replication_cluster_id: 'set-1', promote_sent_at: AT, promoted_at: AT }
    // The way back promoted dc1 again, then failed re-pointing dc2: dc2 is left behind, dc1 the primary.
    const drill = op('drill', 'failed', { legs: [leg(), back] })
    expect(leftBehind('dc2', drill)).toMatchObject({ primary: 'dc1', secondary_id: 'dc2' })
    expect(leftBehind('dc1', drill)).toBeUndefined()
    // A leg that failed before its promote, undone: dc1 promoted back, dc2 left not following it.
    const undone = op('switchover', 'cancelled', {
      legs: [leg({ promote_sent_at: null, promoted_at: null })],
      undo: back,
    })
    expect(leftBehind('dc2', undone)).toMatchObject({ primary: 'dc1', left_by: 'switchover-1' })
  })

  it('a failed rejoin of a cluster left behind names the same primary and the operation that left it', () => {
    const rejoinLeg = { ...newLeg('dc1', 'dc2', 'dc1', [{ cluster: 'dc1', secondary_id: 'dc1' }]), wals_lost: 0 }
    const subject = { cluster: 'dc1', primary: 'dc2', failover_id: null, left_by: 'switchover-9' }
    expect(leftBehind('dc1', op('rejoin', 'failed', { legs: [rejoinLeg] }, subject))).toMatchObject({
      primary: 'dc2',
      left_by: 'switchover-9',
    })
    // A failover's rejoin (a fence) is the fence's to answer, not this.
    const fenced = { cluster: 'dc1', primary: 'dc2', failover_id: 'failover-1' }
    expect(leftBehind('dc1', op('rejoin', 'failed', { legs: [rejoinLeg] }, fenced))).toBeUndefined()
  })
})
