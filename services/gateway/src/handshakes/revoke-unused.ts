import { stepOf } from './handshake-record.ts'
import type { StepContext } from './step-context.ts'
import { pairStatus, secondaryIdUse } from './steps/replication-state.ts'
import { activationInFlight, whyNotRevoke } from './token-keeper.ts'

/**
 * An unused token must not outlive a handshake that ends without activation: its id is revoked, but only when the
 * primary knows it, no secondary ever connected with it, and a handshake of this gateway minted it (whyNotRevoke).
 * An id another secondary uses, or one the secondary is still bootstrapping with, is left alone. Returns a note for
 * the handshake's error detail, and whether the revocation is still to be done (the agents could not be asked).
 */
export async function revokeUnused(ctx: StepContext): Promise<{ note: string; pending: boolean }> {
  const note = await revokeUnusedNow(ctx)
  return typeof note === 'string' ? { note, pending: false } : note
}

async function revokeUnusedNow(ctx: StepContext): Promise<string | { note: string; pending: true }> {
  const mint = stepOf(ctx.hs, 'mint_token').status
  if (ctx.hs.token === null && (mint === 'pending' || mint === 'skipped')) return ''
  if (stepOf(ctx.hs, 'activate_secondary').status === 'succeeded') return ''
  const id = ctx.hs.secondary_id
  try {
    switch (secondaryIdUse(await pairStatus(ctx), id)) {
      case 'free':
      case 'ours':
        return ''
      case 'settling':
        return `; left secondary id ${id} alone: the secondary is still bootstrapping`
      case 'in_use':
        return `; left secondary id ${id} alone: another DR secondary of the primary uses it`
      case 'unused': {
        const inFlight = activationInFlight(ctx)
        if (inFlight !== undefined) return `; left secondary id ${id} alone: ${inFlight}`
        const notOurs = await whyNotRevoke(ctx)
        if (notOurs !== undefined) return `; ${notOurs}`
        await ctx.primary.revoke(id, ctx.signal)
        ctx.tokens.forget()
        return `; revoked the unused secondary id ${id}`
      }
    }
  } catch (err) {
    // The primary (or secondary) agent could not be asked: a token for the id may stay valid until its TTL ends.
    return {
      note: `; could not revoke the unused secondary id ${id} now (${(err as Error).message}): the gateway retries while it runs`,
      pending: true,
    }
  }
}
