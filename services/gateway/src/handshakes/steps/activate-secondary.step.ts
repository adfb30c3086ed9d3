import { isCodedError } from '@vault-dr/core'
import { activatedWith } from '../../dr/pair-status.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import { StepFailed, type StepResult } from '../../operations/step.ts'
import type { SentActivation } from '../../store/store.ts'
import type { StepContext } from '../handshake-context.ts'
import { freshToken } from '../mint-token.ts'
import { settledPairStatus } from '../read-status.ts'
import { awaitSentActivation } from './sent-activation.ts'
import { unwrapAddress } from './unwrap-address.ts'

const AMBIGUOUS = new Set<string>([
  GatewayErrors.agentTimeout.code,
  GatewayErrors.agentUnreachable.code,
  GatewayErrors.agentFailed.code,
])

/** Step 5: hand the token to the secondary, which activates (and is wiped). Exactly once, also across restarts. */
export async function activateSecondaryStep(ctx: StepContext): Promise<StepResult> {
  const id = ctx.hs.secondary_id
  // Holding an unsent token, this run sent no activation (see inspect_token), and the secondary agent refuses a
  // cluster already in DR. Without one, a gateway before this one may have sent it (recorded before sending): how it
  // ended decides, never the status alone, which shows nothing while Vault unwraps and dials the primary.
  if (!ctx.tokens.held) {
    const sent = ctx.hs.activation
    if (sent !== null && sent.outcome === null) {
      const outcome = await awaitSentActivation(ctx, sent)
      await ctx.save({ activation: { ...sent, outcome: outcome.kind } })
      if (outcome.kind === 'activated')
        return await alreadyActivated(ctx, `activation ${sent.id} sent before a restart`)
      if (outcome.kind === 'failed') throw new StepFailed(outcome.error)
    } else if (activatedWith(await settledPairStatus(ctx), id)) {
      return await alreadyActivated(ctx, 'found by status')
    }
  }
  for (;;) {
    const sent = await sendActivation(ctx)
    if (sent.kind !== 'not_activated') return sent.result
    // The activation provably never happened (its token can no longer start one): mint anew and send again.
    ctx.log.info({ handshake: ctx.hs.id, activation: sent.id }, 'the activation never reached Vault: sending it again')
  }
}

/** At most this many activations per handshake: each one proven never to have reached Vault before the next. */
const MAX_SENDS = 3

/** Mints if needed and sends one activation; resolves how it ended once that is known. */
async function sendActivation(
  ctx: StepContext,
): Promise<{ kind: 'done'; result: StepResult } | { kind: 'not_activated'; id: string }> {
  const id = ctx.hs.secondary_id
  const done = (result: StepResult) => ({ kind: 'done' as const, result })
  let token: string
  try {
    token = await freshToken(ctx)
  } catch (err) {
    if (isCodedError(err, GatewayErrors.alreadyActivated.code))
      return done(await alreadyActivated(ctx, 'found while minting'))
    throw err
  }
  const attempt = (ctx.hs.activation?.attempt ?? 0) + 1
  if (attempt > MAX_SENDS) {
    throw GatewayErrors.activationUnresolved(`${MAX_SENDS} activations were sent and none reached Vault`)
  }
  const sent: SentActivation = {
    id: `${ctx.hs.id}.${attempt}`,
    attempt,
    sent_at: new Date(ctx.now()).toISOString(),
    token_expires_at: ctx.hs.token?.expires_at ?? new Date(ctx.now()).toISOString(),
    outcome: null,
  }
  // Written before the call: from here on the secondary may be activated whatever happens.
  await ctx.save({ activation: sent })
  let result: Awaited<ReturnType<typeof ctx.secondary.activate>>
  try {
    result = await ctx.secondary.activate(token, ctx.signal, { ...unwrapAddress(ctx), activationId: sent.id })
  } catch (err) {
    ctx.signal.throwIfAborted()
    // Sent: never send this token again (a retry mints anew).
    ctx.tokens.forget()
    // No answer, or a failure after the call left: the activation may have happened all the same.
    if (!isCodedError(err) || !AMBIGUOUS.has(err.code)) {
      await ctx.save({ activation: { ...sent, outcome: 'failed' } })
      throw err
    }
    const outcome = await awaitSentActivation(ctx, sent)
    if (outcome.kind === 'activated') await ctx.forgetCeremonyToken()
    await ctx.save({ activation: { ...sent, outcome: outcome.kind } })
    if (outcome.kind === 'activated') {
      return done({ status: 'succeeded', detail: `activated as DR secondary ${id} (confirmed after: ${err.message})` })
    }
    if (outcome.kind === 'failed') throw new StepFailed(outcome.error)
    return { kind: 'not_activated', id: sent.id }
  }
  // Activated: what fails from here (a store write) is no failure of the activation, and is not recorded as one.
  ctx.tokens.forget()
  await ctx.forgetCeremonyToken()
  await ctx.save({ activation: { ...sent, outcome: 'activated' } })
  const warnings = result.warnings.length === 0 ? '' : `; Vault warned: ${result.warnings.join(' ')}`
  return done({ status: 'succeeded', detail: `activated as DR secondary ${id}${warnings}` })
}

/**
 * The activation wiped the secondary, a key-share ceremony's token with the rest: forgotten, not tried in a failover
 * later, when it was this handshake's (recorded as sent; one found by status came at a time no one recorded, and a
 * token made since is live). Only then (a refused activation leaves it valid in Vault, and kept); every path that
 * finds the activation happened comes here or forgets it before writing so, a resumed run included.
 */
async function alreadyActivated(ctx: StepContext, how: string): Promise<StepResult> {
  ctx.tokens.forget()
  await ctx.forgetCeremonyToken()
  return {
    status: 'succeeded',
    detail: `already activated with id ${ctx.hs.secondary_id} (${how}): not activated again`,
  }
}
