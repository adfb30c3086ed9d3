import type { StepResult } from '../operations/step.ts'
import type { LegKey, RoleChangeContext } from './role-change-context.ts'

/**
 * A DR operation token issued by the new primary, kept by the gateway's custody (sealed) for the next role change.
 * The one used so far stays valid until it expires; a resumed run keeps a token issued after the promote.
 */
export async function newDrOperationToken(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const after = leg.promoted_at ?? leg.promote_sent_at ?? new Date(ctx.now()).toISOString()
  const { rotated, expires_at } = await ctx.renewDrToken(leg.to, after, ctx.signal())
  return {
    status: 'succeeded',
    detail: rotated
      ? `${leg.to} issued a DR operation token, kept sealed by the gateway until ${expires_at}`
      : `${leg.to}'s DR operation token issued after the promote is kept (until ${expires_at})`,
  }
}
