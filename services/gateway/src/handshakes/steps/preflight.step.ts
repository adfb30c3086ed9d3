import { GatewayErrors } from '../../gateway-errors.ts'
import { StepFailed, type StepResult } from '../../operations/step.ts'
import { clusterChecks } from '../../preflight/cluster-checks.ts'
import { applySkips, checksPass, failureSummary, runPreflight } from '../../preflight/preflight.service.ts'
import type { StepContext } from '../handshake-context.ts'
import { statusOf } from '../read-status.ts'

export const ALREADY_REPLICATING = 'already replicating: nothing changed'

/** Step 1: every check before anything changes. A failed check ends the handshake here. */
export async function preflightStep(ctx: StepContext): Promise<StepResult> {
  const { skip_checks: skip, allow_repoint: allowRepoint } = ctx.hs.options
  const opts = {
    skip,
    allowRepoint,
    primaryClusterAddr: ctx.hs.options.primary_cluster_addr,
    primaryApiAddr: ctx.hs.options.primary_api_addr,
    secondaryId: ctx.hs.secondary_id,
    idHistory: await ctx.secondaryIdHistory(),
  }
  const run = await runPreflight(ctx.primary, ctx.secondary, opts, ctx.signal)
  await ctx.save(
    { checks: run.checks, recheck_cluster: run.recheck_cluster },
    { type: 'checks', data: { checks: run.checks } },
  )
  if (!run.ok) throw new StepFailed(failureSummary(run.checks))
  if (run.already_replicating)
    return { status: 'succeeded', detail: ALREADY_REPLICATING, skipRest: ALREADY_REPLICATING }
  const count = (status: string) => run.checks.filter((c) => c.status === status).length
  return {
    status: 'succeeded',
    detail: `${count('pass')} checks passed, ${count('warn')} warnings, ${count('skipped')} skipped`,
  }
}

/**
 * The cluster-port checks again, once the primary serves DR on 8201: the fingerprint the secondary sees must be the
 * primary's own (no TLS-terminating middlebox). Runs before any token exists.
 */
export async function recheckCluster(ctx: StepContext): Promise<void> {
  const primary = await statusOf(ctx, 'primary', { reuse: true })
  const outcome = await clusterChecks(ctx.primary, ctx.secondary, 'post_enable', {
    expectedClusterId: primary.vault.cluster_id,
    primaryClusterAddr: primary.replication?.primary_cluster_addr,
    primaryApiAddr: ctx.hs.options.primary_api_addr,
    signal: ctx.signal,
  })
  const rechecked = applySkips(outcome.checks, ctx.hs.options.skip_checks)
  const checks = [...ctx.hs.checks.filter((c) => c.phase !== 'post_enable'), ...rechecked]
  const ok = checksPass(rechecked)
  await ctx.save({ checks, recheck_cluster: !ok }, { type: 'checks', data: { checks } })
  if (!ok) {
    const summary = failureSummary(rechecked)
    throw new StepFailed({
      ...summary,
      detail: `${GatewayErrors.clusterRecheckFailed.code}: after enabling DR: ${summary.detail}`,
      fix: summary.fix ?? GatewayErrors.clusterRecheckFailed('').fix ?? null,
    })
  }
}
