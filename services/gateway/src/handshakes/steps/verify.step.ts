import type { ClusterStatus } from '../../agents/agent-types.ts'
import { secondaryGaps, verifyGaps } from '../../dr/pair-status.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import type { StepResult } from '../../operations/step.ts'
import { pollWithBackoff } from '../../util/backoff.ts'
import type { StepContext } from '../handshake-context.ts'
import { type PrimaryNodes, primaryNodesChecks } from './primary-nodes-check.ts'
import { unreachableClusterPort, VERIFY_TIMEOUT_FIX } from './verify-diagnosis.ts'

/** Step 6: wait, bounded, until the secondary streams WALs from the primary and the primary sees it connected. */
export async function verifyStep(ctx: StepContext): Promise<StepResult> {
  const id = ctx.hs.secondary_id
  let gaps: string[] = ['no status read yet']
  let streaming: ClusterStatus | undefined
  let lastSecondary: ClusterStatus | undefined
  const ok = await pollWithBackoff(
    async () => {
      try {
        // The secondary first: the primary (whose status is the larger, and shared by every handshake of a fleet)
        // is asked only once the secondary says it streams.
        const secondary = await ctx.secondary.status(ctx.signal)
        lastSecondary = secondary
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
    const cause = await unreachableClusterPort(ctx, lastSecondary)
    const detail = `after ${ctx.settings.verifyTimeoutMs} ms: ${gaps.join('; ')}${cause ? `; ${cause.detail}` : ''}`
    throw GatewayErrors.verifyTimeout(detail, { fix: cause?.fix ?? VERIFY_TIMEOUT_FIX })
  }
  const detail = `secondary ${id} streams WALs (connection ready) and the primary lists it connected`
  const nodes = streaming === undefined ? undefined : await primaryNodesChecks(ctx, streaming)
  const earlier = ctx.hs.checks.filter((c) => c.phase !== 'post_activation')
  // A resumed run keeps no node checks of an earlier one that it did not make again.
  if (nodes !== undefined && (nodes.checks.length > 0 || earlier.length < ctx.hs.checks.length)) {
    const checks = [...earlier, ...nodes.checks]
    await ctx.save({ checks }, { type: 'checks', data: { checks } })
  }
  if (nodes === undefined || nodes.checks.length === 0) return { status: 'succeeded', detail }
  return { status: 'succeeded', detail: `${detail}; the primary's other nodes: ${describeNodes(nodes)}` }
}

function describeNodes({ unreachable, notProbed, fallback }: PrimaryNodes): string {
  if (unreachable === 0 && notProbed === 0) return 'all reachable from the secondary'
  const parts = [
    unreachable > 0
      ? `${unreachable} not reachable from the secondary (${fallback ? `it would fall back to primary_cluster_addr ${fallback}` : 'replication would stop at a leader change to one of them'})`
      : '',
    notProbed > 0 ? `${notProbed} not probed` : '',
  ]
  return `${parts.filter(Boolean).join('; ')}: see the post_activation checks`
}
