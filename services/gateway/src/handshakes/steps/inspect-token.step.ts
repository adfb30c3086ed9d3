import { isCodedError } from '@vault-dr/core'
import { activatedWith } from '../../dr/pair-status.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import { StepFailed, type StepResult } from '../../operations/step.ts'
import type { StepContext } from '../handshake-context.ts'
import { freshToken, mint } from '../mint-token.ts'
import { pairStatus } from '../read-status.ts'
import { unwrapAddress } from './unwrap-address.ts'

/** Step 4: the secondary looks the token up on the primary (without consuming it); one re-mint if it is not valid. */
export async function inspectTokenStep(ctx: StepContext): Promise<StepResult> {
  if (!ctx.hs.options.inspect) return { status: 'skipped', detail: 'inspection disabled by request (inspect: false)' }
  // A token this run minted and still holds was never sent, and every other token for its id was revoked before
  // minting: the secondary cannot be activated with the id. Without one (a resumed run), the status tells.
  if (!ctx.tokens.held && activatedWith(await pairStatus(ctx, { reuse: true }), ctx.hs.secondary_id)) {
    return { status: 'skipped', detail: `the secondary is already activated with id ${ctx.hs.secondary_id}` }
  }
  let token: string
  try {
    token = await freshToken(ctx)
  } catch (err) {
    if (!isCodedError(err, GatewayErrors.alreadyActivated.code)) throw err
    return { status: 'skipped', detail: `the secondary is already activated with id ${ctx.hs.secondary_id}` }
  }
  let inspection = await ctx.secondary.inspect(token, ctx.signal, unwrapAddress(ctx))
  let reminted = ''
  if (!inspection.lookup.valid || inspection.expired) {
    reminted = ` (re-minted once: the first token was ${inspection.lookup.code})`
    await mint(ctx)
    inspection = await ctx.secondary.inspect(await freshToken(ctx), ctx.signal, unwrapAddress(ctx))
  }
  if (!inspection.lookup.valid || inspection.expired) {
    throw new StepFailed({
      code: inspection.lookup.code === 'OK' ? GatewayErrors.tokenInvalid.code : inspection.lookup.code,
      detail: `${GatewayErrors.tokenInvalid.code}: ${inspection.lookup.detail}`,
      fix: inspection.lookup.fix ?? GatewayErrors.tokenInvalid('').fix ?? null,
    })
  }
  return {
    status: 'succeeded',
    detail: `the primary holds the token unused; ${inspection.seconds_left} s left${reminted}`,
  }
}
