import { GatewayErrors } from '../../gateway-errors.ts'
import { pollWithBackoff } from '../../util/backoff.ts'
import type { StepContext, StepResult } from '../step-context.ts'
import { secondaryGaps, verifyGaps } from './replication-state.ts'

/** Step 6: wait, bounded, until the secondary streams WALs from the primary and the primary sees it connected. */
export async function verifyStep(ctx: StepContext): Promise<StepResult> {
  const id = ctx.hs.secondary_id
  let gaps: string[] = ['no status read yet']
  const ok = await pollWithBackoff(
    async () => {
      try {
        // The secondary first: the primary (whose status is the larger, and shared by every handshake of a fleet)
        // is asked only once the secondary says it streams.
        const secondary = await ctx.secondary.status(ctx.signal)
        gaps = secondaryGaps(secondary)
        if (gaps.length === 0) gaps = verifyGaps({ primary: await ctx.primary.status(ctx.signal), secondary }, id)
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
  return {
    status: 'succeeded',
    detail: `secondary ${id} streams WALs (connection ready) and the primary lists it connected`,
  }
}
