import { isUnfinished } from '../operations/rerun-unfinished.ts'
import { toStepError } from '../operations/step.ts'
import { LeaseLost } from '../store/store.ts'
import { clusterIdOf, drMode } from './cluster-roles.ts'
import { followNewPrimary } from './follow-new-primary.step.ts'
import { type Leg, reversed } from './leg.ts'
import { promoteSecondary } from './promote-secondary.step.ts'
import { requireDrMode } from './readable-status.ts'
import type { LegKey, RoleChangeContext } from './role-change-context.ts'
import { verifyNewPrimary } from './verify-new-primary.step.ts'

export interface UndoOutcome {
  note: string
  fix?: string | null
  /** The step's own fix no longer holds (e.g. it names a primary to make a token on, and none is left). */
  replacesFix?: boolean
}

/** Where a failed leg stands: untouched, demoted and not promoted (to undo), or promoted (kept: the only primary). */
export function undoNeeded(leg: Leg): 'nothing_changed' | 'promote_back' | 'new_primary_kept' {
  if (leg.demote_sent_at === null) return 'nothing_changed'
  if (leg.promote_sent_at === null) return 'promote_back'
  return 'new_primary_kept'
}

/**
 * After a leg failed between the demote and the promote (the secondary never caught up, the promote was refused):
 * the old primary, which holds everything it wrote, is promoted back, and every cluster that followed it follows it
 * again, without a wipe. Written as a leg of its own, so a run resumed in the middle finds out what it did already.
 * An agent that gave no answer, or answered that the change asked before is still under way, is thrown for the
 * engine to run the undo again once it may be back (each run reads where the clusters stand first).
 */
export async function undoDemote(ctx: RoleChangeContext, index: LegKey): Promise<UndoOutcome> {
  const leg = ctx.leg(index)
  const what = undoNeeded(leg)
  if (what === 'nothing_changed') return { note: '; nothing was changed' }
  if (what === 'new_primary_kept') return newPrimaryKept(ctx, leg)
  const back = { ...reversed(leg), replication_cluster_id: leg.replication_cluster_id }
  const followers = back.followers.map((f) => f.cluster)
  let repointing = false
  try {
    if (!ctx.hasLeg('undo')) {
      // The demote was written as sent, but Vault may never have had it (refused, or the call never arrived).
      const from = await ctx.client(leg.from).status(ctx.signal())
      requireDrMode(leg.from, from, 'the undo')
      if (drMode(from) === 'primary' && clusterIdOf(from) === leg.replication_cluster_id) {
        return { note: `; nothing was changed: the demote did not take effect, ${leg.from} is still the DR primary` }
      }
      await ctx.saveLeg('undo', { ...back, demote_sent_at: leg.demote_sent_at })
    }
    await promoteSecondary(ctx, 'undo')
    await verifyNewPrimary(ctx, 'undo')
    repointing = true
    for (const cluster of followers) await followNewPrimary(ctx, 'undo', cluster)
    return {
      note: `; undone: ${leg.from} was promoted back (it holds everything it wrote: nothing lost) and ${followers.join(', ')} follow it again`,
    }
  } catch (err) {
    if (isUnfinished(err) || err instanceof LeaseLost) throw err
    return undoFailed(ctx, index, err, repointing)
  }
}

/**
 * What a failed undo of a demote says. When only re-pointing the others failed (`repointing`, the old primary promoted
 * back and taking writes), a rejoin re-points each. When it was promoted back at some point but the rest is unknown
 * (a later run failed on it), its status decides. Before any promote, it is a demoted secondary holding every write,
 * and how to promote it back by hand.
 */
export function undoFailed(ctx: RoleChangeContext, index: LegKey, err: unknown, repointing = false): UndoOutcome {
  const leg = ctx.leg(index)
  const e = toStepError(err)
  const followers = reversed(leg).followers.map((f) => f.cluster)
  const rejoins = followers.map((f) => `vault-dr rejoin ${f}`).join('; ')
  const undo = ctx.hasLeg('undo') ? ctx.leg('undo') : undefined
  if (repointing && undo?.writes_accepted_at != null) {
    const each = followers.length === 1 ? 'it' : 'each that does not stream from it'
    return {
      note: `; undone in part: ${leg.from} was promoted back and accepts writes (it holds everything it wrote: nothing lost), but re-pointing ${followers.join(', ')} to it failed (${e.code}: ${e.detail})`,
      fix: `${leg.from} is the DR primary again. Once ${followers.join(', ')} ${followers.length === 1 ? 'answers' : 'answer'} (its Vault unsealed, its agent running), re-point ${each} without a wipe with a rejoin (${rejoins}).`,
    }
  }
  if (undo?.promoted_at != null) {
    return {
      note: `; undoing it did not finish (${e.code}: ${e.detail}): ${leg.from} was promoted back at ${undo.promoted_at}`,
      fix: `Read sys/replication/dr/status on ${leg.from}. If it is the DR primary and accepts writes, re-point ${followers.join(', ')} to it with a rejoin (${rejoins}). If not, ${e.fix ?? `mend ${leg.from} first`}; no cluster takes writes until it does.`,
    }
  }
  // The undo's leg is written once the old primary was read demoted: without it, whether the demote took effect is
  // not known (the read failed), and the fix says so.
  const demoted =
    undo === undefined
      ? `${leg.from} may be a demoted DR secondary (the demote was sent; whether it took effect could not be read): read sys/replication/dr/status on it. If it is one, it holds every write.`
      : `${leg.from} is a demoted DR secondary holding every write.`
  const repoint = `then re-point ${followers.join(', ')} to it (generate-public-key on each, secondary-token with that key on it, update-primary with the token)`
  if (e.code === TOKEN_REJECTED) {
    // The token was refused on both clusters, and no primary is left to make a batch token on.
    return {
      note: `; undoing it failed too (${e.code}: ${e.detail})`,
      fix:
        `${demoted} Unless ${leg.to} shows as DR primary, no cluster accepts writes, and none is a primary to make a ` +
        `new batch DR operation token on: make one on ${leg.from} with the key-share ceremony (Vault's ` +
        `sys/replication/dr/secondary/generate-operation-token/attempt, then .../update with the primary's unseal or ` +
        `recovery key shares), promote ${leg.from} back with it (sys/replication/dr/secondary/promote), ${repoint}; ` +
        'delete that token after (operation-token/delete: it has no TTL).',
      replacesFix: true,
    }
  }
  return {
    note: `; undoing it failed too (${e.code}: ${e.detail})`,
    fix:
      `${demoted} Unless ${leg.to} shows as DR primary, no cluster accepts writes: ` +
      `promote ${leg.from} back with a DR operation token (sys/replication/dr/secondary/promote), ${repoint}.`,
  }
}

/** The agent's refusal of the DR operation token (Vault's 400 or 403 on the path). */
const TOKEN_REJECTED = 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED'

/**
 * The promote was sent and not refused: it took effect, or it got no answer and may still. Never undone (promoting
 * the old primary back could make two primaries); what `to` says now tells which, and what to do when it is not yet.
 */
async function newPrimaryKept(ctx: RoleChangeContext, leg: Leg): Promise<UndoOutcome> {
  const kept = {
    note: `; ${leg.to} is the DR primary now (promoted by this operation): writes go to ${leg.to}; a cluster left not following it is re-pointed by a rejoin (vault-dr rejoin <cluster>)`,
  }
  const now = await ctx
    .client(leg.to)
    .status(ctx.signal())
    .catch(() => undefined)
  if (now !== undefined && drMode(now) === 'primary' && clusterIdOf(now) === leg.replication_cluster_id) return kept
  const seen = now === undefined ? 'gives no status now' : `is in DR mode ${drMode(now)} now`
  // Its agent answered that it ran as primary (a later step failed): what it is now is read, not assumed.
  if (leg.promoted_at !== null) {
    if (now === undefined) {
      return {
        note: `; ${leg.to} was promoted by this operation at ${leg.promoted_at} and ${seen}: writes go to it once it answers; a cluster left not following it is re-pointed by a rejoin (vault-dr rejoin <cluster>)`,
      }
    }
    return {
      note: `; ${leg.to} was promoted by this operation at ${leg.promoted_at}, but it ${seen} (demoted since: by its agent's fence, or by hand), so no cluster of the set may be taking writes`,
      fix: `Read sys/replication/dr/status on every cluster of the set (vault-dr clusters list). If none is the DR primary, promote ${leg.to} again with a DR operation token (sys/replication/dr/secondary/promote): it held the role last, with every write; then re-point the others to it with a rejoin (vault-dr rejoin <cluster>).`,
    }
  }
  const others = leg.followers.map((f) => f.cluster).join(', ')
  return {
    note: `; the promote of ${leg.to} was sent and not refused, and ${leg.to} ${seen}: it may have taken effect or still take effect, so ${leg.from} was not promoted back`,
    fix:
      `Read sys/replication/dr/status on ${leg.to} until it settles. If it is the DR primary, re-point ${others} to it, each with a rejoin ` +
      `(vault-dr rejoin <cluster>, POST /v1/rejoins). If it stays a DR secondary, no cluster accepts writes: ` +
      `promote ${leg.from} back with a DR operation token (sys/replication/dr/secondary/promote), then re-point the others to it.`,
  }
}
