import type { StepResult } from '../../operations/step.ts'
import type { StepContext } from '../handshake-context.ts'

/** Step 2: make the primary a DR primary, unless it is one (the agent leaves a DR primary alone and says so). */
export async function enablePrimaryStep(ctx: StepContext): Promise<StepResult> {
  const asked = ctx.hs.options.primary_cluster_addr
  const result = await ctx.primary.enable(ctx.signal, asked === null ? {} : { primary_cluster_addr: asked })
  if (!result.changed) return { status: 'skipped', detail: result.detail }
  return { status: 'succeeded', detail: result.detail }
}
