import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'
import type { StepContext } from './step-context.ts'

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
   * Mints a token for the handshake's secondary id, revoking the id first when the primary still knows it (an unused
   * token from an earlier attempt). The caller has made sure the secondary is not activated with that id.
   */
  async mint(ctx: StepContext): Promise<void> {
    const mints = ctx.hs.token?.mints ?? 0
    const id = ctx.hs.secondary_id
    if (mints >= MAX_MINTS) {
      throw GatewayErrors.tooManyMints(`${mints} tokens were minted for ${id} and none could be used in time`)
    }
    const primary = await ctx.primary.status(ctx.signal)
    if (primary.replication?.known_secondaries.includes(id)) await ctx.primary.revoke(id, ctx.signal)
    this.forget()
    const body = { secondary_id: id, ttl: ctx.hs.options.token_ttl }
    const minted = await ctx.primary.mintToken(body, ctx.signal).catch(async (err: unknown) => {
      // Someone minted for this id since the status read: revoke once more, then mint.
      if (!isCodedError(err) || err.upstream?.code !== 'PRIMARY_ERR_SECONDARY_EXISTS') throw err
      await ctx.primary.revoke(id, ctx.signal)
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
