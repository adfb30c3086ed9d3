import { isCodedError } from '@vault-dr/core'
import { activatedWith } from '../../dr/pair-status.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import type { StepResult } from '../../operations/step.ts'
import type { StepContext } from '../handshake-context.ts'
import { mint } from '../mint-token.ts'
import { pairStatus } from '../read-status.ts'
import { recheckCluster } from './preflight.step.ts'

/** Step 3: mint the activation token, after the post-enable cluster re-check when one is due. */
export async function mintTokenStep(ctx: StepContext): Promise<StepResult> {
  if (activatedWith(await pairStatus(ctx, { reuse: true }), ctx.hs.secondary_id)) {
    return { status: 'skipped', detail: `the secondary is already activated with id ${ctx.hs.secondary_id}` }
  }
  if (ctx.hs.recheck_cluster) await recheckCluster(ctx)
  try {
    await mint(ctx)
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
