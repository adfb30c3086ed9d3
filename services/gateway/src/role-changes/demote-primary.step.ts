import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { clusterIdOf, drMode, lastWalOf } from './cluster-roles.ts'
import { requireDrMode } from './readable-status.ts'
import { iso, type LegKey, type RoleChangeContext } from './role-change-context.ts'

/**
 * Demotes the leg's primary: from here it refuses writes and nothing it wrote can be lost, as it keeps its data.
 * demote_sent_at is written before the call, so a resumed run that finds the cluster a DR secondary of the same
 * replication set knows the demote was its own and carries on.
 */
export async function demotePrimary(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const client = ctx.client(leg.from)
  const signal = ctx.signal()
  // As the preflight just saw it, if it did (Vault refuses a demote of a cluster that is not its DR primary).
  const before = await ctx.recentStatus(leg.from, signal)
  requireDrMode(leg.from, before, 'the demote')
  const mode = drMode(before)
  if (mode === 'secondary' && leg.demote_sent_at !== null && clusterIdOf(before) === leg.replication_cluster_id) {
    await ctx.saveLeg(index, {
      demoted_at: leg.demoted_at ?? iso(ctx.now()),
      demoted_last_wal: lastWalOf(before, leg.last_wal_before_demote),
      demoted_merkle_root: before.replication?.merkle_root ?? null,
    })
    await ctx.setRole(leg.from, 'secondary')
    return { status: 'succeeded', detail: `${leg.from} already is a DR secondary: the demote sent earlier took effect` }
  }
  if (mode !== 'primary') {
    throw SwitchoverErrors.unexpectedRole(
      `${leg.from} is ${mode === 'secondary' ? 'a DR secondary' : `in DR mode ${mode}`}, not the DR primary to demote`,
    )
  }
  const lastWal = before.replication?.last_wal ?? null
  const epoch = await ctx.bumpEpoch({
    leg: index,
    patch: {
      replication_cluster_id: leg.replication_cluster_id ?? clusterIdOf(before),
      last_wal_before_demote: lastWal,
      demote_sent_at: iso(ctx.now()),
    },
  })
  const result = await client.demote({}, { epoch, signal })
  await ctx.saveLeg(index, {
    demoted_at: iso(ctx.now()),
    demoted_last_wal: lastWalOf(result.status, lastWal),
    demoted_merkle_root: result.status.replication?.merkle_root ?? null,
  })
  // Under the lease as well (setRole): a gateway that lost it does not set the registry's role.
  await ctx.setRole(leg.from, 'secondary')
  const walNote = `last WAL ${lastWalOf(result.status, lastWal) ?? 'unknown'}`
  // Already a DR secondary when this demote arrived: one sent before it (an attempt that lost its lease) took effect.
  const how = result.changed
    ? `demoted at epoch ${epoch}`
    : `was a DR secondary already when the demote of epoch ${epoch} arrived (one sent earlier took effect)`
  return { status: 'succeeded', detail: `${leg.from} ${how}: it refuses writes and keeps its data (${walNote})` }
}
