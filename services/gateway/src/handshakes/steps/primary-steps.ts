import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../../gateway-errors.ts'
import type { StepContext, StepResult } from '../step-context.ts'
import { recheckCluster } from './preflight.step.ts'
import { activatedWith, pairStatus } from './replication-state.ts'

/** Step 2: make the primary a DR primary, unless it is one (the agent leaves a DR primary alone and says so). */
export async function enablePrimaryStep(ctx: StepContext): Promise<StepResult> {
  const asked = ctx.hs.options.primary_cluster_addr
  const result = await ctx.primary.enable(ctx.signal, asked === null ? {} : { primary_cluster_addr: asked })
  if (!result.changed) return { status: 'skipped', detail: result.detail }
  return { status: 'succeeded', detail: result.detail }
}

/** Step 3: mint the activation token, after the post-enable cluster re-check when one is due. */
export async function mintTokenStep(ctx: StepContext): Promise<StepResult> {
  if (activatedWith(await pairStatus(ctx, { reuse: true }), ctx.hs.secondary_id)) {
    return { status: 'skipped', detail: `the secondary is already activated with id ${ctx.hs.secondary_id}` }
  }
  if (ctx.hs.recheck_cluster) await recheckCluster(ctx)
  try {
    await ctx.tokens.mint(ctx)
  } catch (err) {
    if (!isCodedError(err, GatewayErrors.alreadyActivated.code)) throw err
    return { status: 'skipped', detail: `the secondary is already activated with id ${ctx.hs.secondary_id}` }
  }
  const token = ctx.hs.token
  return {
    status: 'succeeded',
    detail: `minted a token for ${ctx.hs.secondary_id} (ttl ${ctx.hs.options.token_ttl}, expires ${token?.expires_at ?? '?'})`,
  }
}
