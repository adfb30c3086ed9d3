import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'
import { pollWithBackoff } from '../util/backoff.ts'
import { notOursReason } from './secondary-id-origin.ts'
import type { StepContext } from './step-context.ts'
import { describePeer, type PairStatus, pairStatus, secondaryIdUse } from './steps/replication-state.ts'

/** A mint whose answer never came: the token may exist all the same. */
const LOST_ANSWER = new Set<string>([GatewayErrors.agentUnreachable.code, GatewayErrors.agentTimeout.code])

/** Waits, up to VAULT_DR_AGENT_CHANGE_TIMEOUT_MS, until the primary agent answers a status read; rethrows otherwise. */
async function waitForAgent(ctx: StepContext, cause: unknown): Promise<void> {
  const back = await pollWithBackoff(
    () =>
      ctx.primary.status(ctx.signal).then(
        () => true,
        () => undefined,
      ),
    { timeoutMs: ctx.settings.agentChangeTimeoutMs, signal: ctx.signal, initialMs: 200 },
  )
  if (back === undefined) throw cause
}

/** Mints per handshake, counting re-mints after expiry or a restart; beyond it something is wrong with clocks or TTL. */
export const MAX_MINTS = 5

/**
 * Holds the activation token of one handshake run, in memory only: it moves from the primary agent to the secondary
 * agent and is never stored, logged or returned. The store keeps only its metadata (id, expiry, mint count).
 */
export class TokenKeeper {
  #token: { value: string; expiresAt: number } | undefined

  get held(): boolean {
    return this.#token !== undefined
  }

  /** Forget the token (it was consumed, or revoked). */
  forget(): void {
    this.#token = undefined
  }

  /**
   * Mints a token for the handshake's secondary id, revoking the id first only when its token was never used (an
   * earlier attempt's). An id another secondary uses, or one this secondary is bootstrapping with, is never revoked.
   */
  async mint(ctx: StepContext): Promise<void> {
    const mints = ctx.hs.token?.mints ?? 0
    const id = ctx.hs.secondary_id
    if (mints >= MAX_MINTS) {
      throw GatewayErrors.tooManyMints(`${mints} tokens were minted for ${id} and none could be used in time`)
    }
    await clearUnusedId(ctx, await pairStatus(ctx, { reuse: true }))
    this.forget()
    const body = { secondary_id: id, ttl: ctx.hs.options.token_ttl }
    // Recorded before the call: from here on a token for the id may exist, whatever happens to this process.
    const askedBefore = ctx.hs.mint_requested_at !== null
    if (!askedBefore) await ctx.save({ mint_requested_at: new Date(ctx.now()).toISOString() })
    const minted = await ctx.primary.mintToken(body, ctx.signal).catch(async (err: unknown) => {
      if (isCodedError(err) && LOST_ANSWER.has(err.code)) {
        // Vault may have minted and the answer was lost (the primary agent died or the connection dropped): once the
        // agent answers again, the id is revoked as unused (this handshake asked for it) and minted anew.
        await waitForAgent(ctx, err)
        await clearUnusedId(ctx, await pairStatus(ctx), true)
        return ctx.primary.mintToken(body, ctx.signal)
      }
      // Someone minted for this id since the status read: look again, revoke only an unused id ours, then mint.
      if (!isCodedError(err) || err.upstream?.code !== 'PRIMARY_ERR_SECONDARY_EXISTS') throw err
      // This handshake's first ask was refused, so it minted nothing: the id is someone else's unless asked before.
      if (!askedBefore) await ctx.save({ mint_requested_at: null })
      await clearUnusedId(ctx, await pairStatus(ctx), true)
      return ctx.primary.mintToken(body, ctx.signal)
    })
    this.#token = { value: minted.token, expiresAt: Date.parse(minted.expires_at) }
    await ctx.save({
      token: {
        secondary_id: id,
        minted_at: new Date(ctx.now()).toISOString(),
        expires_at: minted.expires_at,
        mints: mints + 1,
      },
    })
  }

  /**
   * The token to hand over now: minted anew (revoke + mint) when this process holds none, because the gateway
   * restarted since minting, or when it would expire within the safety margin.
   */
  async fresh(ctx: StepContext): Promise<string> {
    const margin = ctx.settings.tokenMinRemainingMs
    const left = this.#token === undefined ? undefined : this.#token.expiresAt - ctx.now()
    if (this.#token !== undefined && left !== undefined && left >= margin) return this.#token.value
    ctx.log.info(
      {
        handshake: ctx.hs.id,
        secondary_id: ctx.hs.secondary_id,
        reason:
          left === undefined
            ? 'no token held (gateway restarted since minting)'
            : `expires in ${Math.round(left / 1000)} s`,
      },
      'minting the activation token anew',
    )
    await this.mint(ctx)
    const token = this.#token as { value: string; expiresAt: number } | undefined
    if (token === undefined || token.expiresAt - ctx.now() < margin) {
      throw GatewayErrors.tooManyMints(
        `a token minted just now for ${ctx.hs.secondary_id} expires within ${margin} ms: token_ttl is too short or the clocks disagree`,
      )
    }
    return token.value
  }
}

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
export async function whyNotRevoke(ctx: StepContext): Promise<string | undefined> {
  const mintedHere = ctx.hs.mint_requested_at !== null
  return notOursReason(ctx.hs.secondary_id, mintedHere, await ctx.secondaryIdHistory())
}

/**
 * Makes room to mint for the handshake's id: revokes it when unused and minted by this gateway's handshakes (never
 * one a secondary was activated with: the primary's status alone cannot prove that secondary gone), refuses (coded
 * error) otherwise. A revocation is decided on a status read now, never on one this run read earlier.
 */
async function clearUnusedId(ctx: StepContext, pair: PairStatus, fresh = false): Promise<void> {
  const id = ctx.hs.secondary_id
  switch (secondaryIdUse(pair, id)) {
    case 'free':
      return
    case 'unused': {
      if (!fresh) return clearUnusedId(ctx, await pairStatus(ctx), true)
      const inFlight = activationInFlight(ctx)
      if (inFlight !== undefined) throw GatewayErrors.secondarySettling(`${inFlight}: not revoking ${id}`)
      const notOurs = await whyNotRevoke(ctx)
      if (notOurs !== undefined) throw GatewayErrors.secondaryIdNotOurs(notOurs)
      await ctx.primary.revoke(id, ctx.signal)
      return
    }
    case 'settling':
      throw GatewayErrors.secondarySettling(`the secondary is bootstrapping, perhaps with ${id}: not revoking it`)
    case 'ours':
      throw GatewayErrors.alreadyActivated(`the secondary is already activated with ${id}: not minting for it again`)
    case 'in_use':
      throw GatewayErrors.secondaryIdInUse(
        `another DR secondary of the primary uses ${id} (${describePeer(pair, id)}): not revoking it`,
      )
  }
}
