import type { StepResult } from '../operations/step.ts'
import { iso } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import {
  armFence,
  createFence,
  isArmed,
  readFenceEntry,
  UNREADABLE_FENCE,
  unreadableFence,
  withdrawFence,
} from './fence-record.ts'

/**
 * Records the old primary as fenced (armed, if the promote's pending fence was not yet): every gateway sharing the
 * store then demotes it as soon as its agent answers again, before anything else is done with it, and until a rejoin
 * it stays fenced.
 */
export async function fenceOldPrimary(deps: FailoverDeps, r: RoleChangeRun): Promise<StepResult> {
  const leg = r.roles.leg(0)
  const fenced = await recordFence(deps, r)
  // The fence was written before the promote raised the epoch: agents refuse what is older than the epoch now.
  const epoch = Math.max(fenced, await deps.store.currentEpoch())
  return {
    status: 'succeeded',
    detail: `${leg.from} is fenced: agents refuse calls older than epoch ${epoch}, and ${leg.from} is demoted as soon as its agent answers again`,
  }
}

/**
 * Writes this failover's fence of the old primary unless it is on record already, under the failover's lease, and
 * arms it: acted on by every gateway's fence keeper. With `pendingPromote` (right before the promote is sent) it is
 * written not armed, and never over another failover's, nor over an entry no one can read (which may be one): the
 * promote is not sent. Once the promote was sent, the fence is written over such an entry, since left unfenced the
 * old primary would serve beside the new one. Answers the epoch of the fence on record.
 */
export async function recordFence(deps: FailoverDeps, r: RoleChangeRun, pendingPromote = false): Promise<number> {
  const leg = r.roles.leg(0)
  const id = r.roles.operationId
  const entry = await readFenceEntry(deps.store, leg.from)
  if (entry === UNREADABLE_FENCE) {
    if (pendingPromote) {
      throw FailoverErrors.fenceUnreadable(
        `${unreadableFence(leg.from)}: it may be another failover's fence, so ${leg.to} is not promoted`,
      )
    }
    r.roles.log.warn(
      { failover: id, cluster: leg.from },
      `${unreadableFence(leg.from)}: this failover's fence is written over it, as the promote of ${leg.to} was sent`,
    )
  }
  const existing = entry === UNREADABLE_FENCE ? undefined : entry
  const fence =
    existing?.failover_id === id
      ? existing
      : await createFence(
          deps.store,
          {
            cluster: leg.from,
            epoch: await deps.store.currentEpoch(),
            failover_id: id,
            new_primary: leg.to,
            fenced_at: iso(deps.now()),
            demoted_at: null,
            last_wal: null,
            ...(pendingPromote ? { pending_promote: true } : {}),
          },
          r.run.lease,
        )
  if (!pendingPromote && fence.failover_id === id && !isArmed(fence)) {
    await armFence(deps.store, leg.from, id, r.run.lease)
  }
  return fence.epoch
}

/**
 * A failover that failed once its promote was sent: the promote may have taken effect (no answer is not a refusal),
 * so the old primary is fenced all the same. Left unfenced, it would serve beside the promoted cluster when its site
 * comes back. When no promote was sent (or Vault refused it), nothing changed: a fence written before it is taken back.
 */
export async function fenceAfterFailedPromote(
  deps: FailoverDeps,
  r: RoleChangeRun,
): Promise<{ note: string; fix?: string }> {
  const leg = r.roles.leg(0)
  if (leg.promote_sent_at === null) {
    // A fence written right before a promote that was then refused, or never sent: nothing changed.
    await withdrawFence(deps.store, leg.from, r.roles.operationId, r.run.lease)
    return { note: '' }
  }
  const fenced = r.run.record().steps.some((s) => s.name === 'fence_old_primary' && s.status === 'succeeded')
  if (fenced) return { note: '' }
  await recordFence(deps, r)
  return {
    note: ` (the promote of ${leg.to} was sent and may have taken effect, so ${leg.from} is fenced all the same: it is demoted as soon as its agent answers)`,
    fix: `Read ${leg.to}'s role (vault-dr clusters status ${leg.to}): a DR primary takes the clients, and ${leg.from} rejoins it once its site is back (vault-dr rejoin ${leg.from}). Still a DR secondary: fail over to ${leg.to} again (allowed while ${leg.from} is away, and once it is back as a DR secondary, demoted by this fence: then no cluster takes writes).`,
  }
}
