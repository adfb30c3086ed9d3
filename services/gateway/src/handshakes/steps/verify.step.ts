import type { ClusterStatus } from '../../agents/agent-types.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import { pollWithBackoff } from '../../util/backoff.ts'
import type { StepContext, StepResult } from '../step-context.ts'
import { primaryNodesChecks } from './primary-nodes-check.ts'
import { secondaryGaps, verifyGaps } from './replication-state.ts'

/** Step 6: wait, bounded, until the secondary streams WALs from the primary and the primary sees it connected. */
export async function verifyStep(ctx: StepContext): Promise<StepResult> {
  const id = ctx.hs.secondary_id
  let gaps: string[] = ['no status read yet']
  let streaming: ClusterStatus | undefined
  const ok = await pollWithBackoff(
    async () => {
      try {
        // The secondary first: the primary (whose status is the larger, and shared by every handshake of a fleet)
        // is asked only once the secondary says it streams.
        const secondary = await ctx.secondary.status(ctx.signal)
        gaps = secondaryGaps(secondary)
        if (gaps.length === 0) gaps = verifyGaps({ primary: await ctx.primary.status(ctx.signal), secondary }, id)
        streaming = secondary
      } catch (err) {
        ctx.signal.throwIfAborted()
        gaps = [`status unavailable: ${(err as Error).message}`]
      }
      return gaps.length === 0 ? true : undefined
    },
    { timeoutMs: ctx.settings.verifyTimeoutMs, signal: ctx.signal, initialMs: 100, maxMs: 2_000 },
  )
  if (ok === undefined) {
    throw GatewayErrors.verifyTimeout(`after ${ctx.settings.verifyTimeoutMs} ms: ${gaps.join('; ')}`)
  }
  const detail = `secondary ${id} streams WALs (connection ready) and the primary lists it connected`
  const nodes = streaming === undefined ? [] : await primaryNodesChecks(ctx, streaming)
  if (nodes.length === 0) return { status: 'succeeded', detail }
  const checks = [...ctx.hs.checks.filter((c) => c.phase !== 'post_activation'), ...nodes]
  await ctx.save({ checks }, { type: 'checks', data: { checks } })
  const warned = nodes.filter((c) => c.status === 'warn').length
  return {
    status: 'succeeded',
    detail: `${detail}; the primary's other nodes: ${warned === 0 ? 'all reachable from the secondary' : `${warned} warning(s), see checks (replication would stop at the next leader change)`}`,
  }
}
