import { describePeer, type PairStatus, secondaryIdUse } from '../dr/pair-status.ts'
import { decideSecondaryId, notOursReason } from '../dr/secondary-id-policy.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { stepOf } from '../operations/operation-journal.ts'
import type { StepContext } from './handshake-context.ts'
import { pairStatus } from './read-status.ts'

/**
 * Why an id this handshake sent an activation with may be in use although the primary lists no secondary with it:
 * the activation's outcome is not known yet (the secondary shows nothing while Vault unwraps and dials), so it may
 * connect any moment. Undefined once the outcome is known.
 */
export function activationInFlight(ctx: StepContext): string | undefined {
  const sent = ctx.hs.activation
  if (sent === null || sent.outcome !== null) return undefined
  return `activation ${sent.id} was sent at ${sent.sent_at} and its outcome is not known yet`
}

/**
 * Why vault-dr must not revoke the handshake's id although no secondary uses it (notOursReason), or undefined when it
 * may. This handshake minted if it asked for a token before (in this run, or one a restart or crash interrupted).
 */
async function whyNotRevoke(ctx: StepContext): Promise<string | undefined> {
  const mintedHere = ctx.hs.mint_requested_at !== null
  return notOursReason(ctx.hs.secondary_id, mintedHere, await ctx.secondaryIdHistory())
}

/** The decision table's answer for the handshake's id in this pair. */
async function decide(ctx: StepContext, pair: PairStatus) {
  const use = secondaryIdUse(pair, ctx.hs.secondary_id)
  const unused = use === 'unused'
  return decideSecondaryId(use, {
    inFlight: unused ? activationInFlight(ctx) : undefined,
    notOurs: unused && activationInFlight(ctx) === undefined ? await whyNotRevoke(ctx) : undefined,
  })
}

/**
 * Makes room to mint for the handshake's id: revokes it when unused and minted by this gateway's handshakes (never
 * one a secondary was activated with: the primary's status alone cannot prove that secondary gone), refuses (coded
 * error) otherwise. A revocation is decided on a status read now, never on one this run read earlier.
 */
export async function clearUnusedId(ctx: StepContext, pair: PairStatus, fresh = false): Promise<void> {
  const id = ctx.hs.secondary_id
  if (!fresh && secondaryIdUse(pair, id) === 'unused') return clearUnusedId(ctx, await pairStatus(ctx), true)
  const decision = await decide(ctx, pair)
  switch (decision.kind) {
    case 'free':
      return
    case 'revoke':
      await ctx.primary.revoke(id, ctx.signal)
      return
    case 'not_ours':
      throw GatewayErrors.secondaryIdNotOurs(decision.why)
    case 'settling':
      throw GatewayErrors.secondarySettling(
        decision.inFlight === undefined
          ? `the secondary is bootstrapping, perhaps with ${id}: not revoking it`
          : `${decision.inFlight}: not revoking ${id}`,
      )
    case 'ours':
      throw GatewayErrors.alreadyActivated(`the secondary is already activated with ${id}: not minting for it again`)
    case 'in_use':
      throw GatewayErrors.secondaryIdInUse(
        `another DR secondary of the primary uses ${id} (${describePeer(pair, id)}): not revoking it`,
      )
  }
}

/**
 * An unused token must not outlive a handshake that ends without activation: its id is revoked, but only when the
 * primary knows it, no secondary ever connected with it, and a handshake of this gateway minted it (whyNotRevoke).
 * An id another secondary uses, or one the secondary is still bootstrapping with, is left alone. Returns a note for
 * the handshake's error detail, and whether the revocation is still to be done (the agents could not be asked).
 */
export async function revokeUnused(ctx: StepContext): Promise<{ note: string; pending: boolean }> {
  const mintStep = stepOf(ctx.hs, 'mint_token').status
  if (ctx.hs.token === null && (mintStep === 'pending' || mintStep === 'skipped')) return { note: '', pending: false }
  if (stepOf(ctx.hs, 'activate_secondary').status === 'succeeded') return { note: '', pending: false }
  const id = ctx.hs.secondary_id
  const done = (note: string) => ({ note, pending: false })
  try {
    const decision = await decide(ctx, await pairStatus(ctx))
    switch (decision.kind) {
      case 'free':
      case 'ours':
        return done('')
      case 'settling':
        return done(`; left secondary id ${id} alone: ${decision.inFlight ?? 'the secondary is still bootstrapping'}`)
      case 'in_use':
        return done(`; left secondary id ${id} alone: another DR secondary of the primary uses it`)
      case 'not_ours':
        return done(`; ${decision.why}`)
      case 'revoke':
        await ctx.primary.revoke(id, ctx.signal)
        ctx.tokens.forget()
        return done(`; revoked the unused secondary id ${id}`)
    }
  } catch (err) {
    // The primary (or secondary) agent could not be asked: a token for the id may stay valid until its TTL ends.
    return {
      note: `; could not revoke the unused secondary id ${id} now (${(err as Error).message}): the gateway retries while it runs`,
      pending: true,
    }
  }
}
