import { isCodedError } from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'
import { pollWithBackoff } from '../util/backoff.ts'
import type { StepContext } from './handshake-context.ts'
import { pairStatus } from './read-status.ts'
import { clearUnusedId } from './secondary-id-revocation.ts'

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
 * Mints a token for the handshake's secondary id into ctx.tokens, revoking the id first only when its token was never
 * used (an earlier attempt's). An id another secondary uses, or one this secondary is bootstrapping with, is never
 * revoked.
 */
export async function mint(ctx: StepContext): Promise<void> {
  const mints = ctx.hs.token?.mints ?? 0
  const id = ctx.hs.secondary_id
  if (mints >= MAX_MINTS) {
    throw GatewayErrors.tooManyMints(`${mints} tokens were minted for ${id} and none could be used in time`)
  }
  await clearUnusedId(ctx, await pairStatus(ctx, { reuse: true }))
  ctx.tokens.forget()
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
    // Asked again: recorded again before the call, as the first ask was, and taken back if refused the same way.
    if (!askedBefore) await ctx.save({ mint_requested_at: new Date(ctx.now()).toISOString() })
    return ctx.primary.mintToken(body, ctx.signal).catch(async (again: unknown) => {
      const exists = isCodedError(again) && again.upstream?.code === 'PRIMARY_ERR_SECONDARY_EXISTS'
      if (exists && !askedBefore) await ctx.save({ mint_requested_at: null })
      throw again
    })
  })
  ctx.tokens.hold(minted.token, Date.parse(minted.expires_at))
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
export async function freshToken(ctx: StepContext): Promise<string> {
  const margin = ctx.settings.tokenMinRemainingMs
  const held = ctx.tokens.take(ctx.now(), margin)
  if (held !== undefined) return held
  const left = ctx.tokens.left(ctx.now())
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
  await mint(ctx)
  const token = ctx.tokens.take(ctx.now(), margin)
  if (token === undefined) {
    throw GatewayErrors.tooManyMints(
      `a token minted just now for ${ctx.hs.secondary_id} expires within ${margin} ms: token_ttl is too short or the clocks disagree`,
    )
  }
  return token
}
