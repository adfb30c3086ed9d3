import { activatedWith, secondaryUnreadable } from '../../dr/pair-status.ts'
import { GatewayErrors } from '../../gateway-errors.ts'
import type { StepError } from '../../operations/operations.schemas.ts'
import type { SentActivation } from '../../store/store.ts'
import { pollWithBackoff } from '../../util/backoff.ts'
import type { StepContext } from '../handshake-context.ts'
import { pairStatus, settledPairStatus } from '../read-status.ts'

/**
 * How long a request sent to the agent may take to reach it: an agent that was up all along and never heard of the
 * activation this long after it was sent never will.
 */
export const DELIVERY_GRACE_MS = 5_000

export type ActivationOutcome = { kind: 'activated' } | { kind: 'not_activated' } | { kind: 'failed'; error: StepError }

/**
 * How an activation this handshake sent has ended, waiting while it may still be in flight. The secondary agent
 * knows while its process lives (in flight, then Vault's answer); its cluster's status alone cannot tell, since a
 * secondary shows nothing while Vault unwraps on the primary and dials its cluster port. When the agent cannot know
 * (it restarted since, or is unreachable), the activation counts as in flight until the secondary is activated, or
 * until the token it carried expired (no unwrap can start after) plus the time an activation call may last; still
 * unaccounted for VAULT_DR_VERIFY_TIMEOUT_MS later, GATEWAY_ERR_ACTIVATION_UNRESOLVED (nothing revoked or resent).
 */
export async function awaitSentActivation(ctx: StepContext, sent: SentActivation): Promise<ActivationOutcome> {
  const id = ctx.hs.secondary_id
  const sentAt = Date.parse(sent.sent_at)
  const hopeless = Date.parse(sent.token_expires_at) + ctx.settings.agentChangeTimeoutMs
  // Past this, an activation still unaccounted for is reported, not guessed: nothing is revoked or sent again.
  const giveUpAt = hopeless + ctx.settings.verifyTimeoutMs
  let last = 'no answer from the secondary agent yet'
  const outcome = await pollWithBackoff(
    async (): Promise<ActivationOutcome | 'unresolved' | undefined> => {
      const state = await ctx.secondary.activation(sent.id, ctx.signal).catch((err: unknown) => {
        ctx.signal.throwIfAborted()
        last = `secondary agent: ${(err as Error).message}`
        return undefined
      })
      if (state?.state === 'in_flight') {
        last = `the secondary agent reports activation ${sent.id} in flight since ${state.started_at}`
        return undefined
      }
      const agentKnew = state !== undefined && Date.parse(state.agent_started_at) <= sentAt
      if (agentKnew && state.state === 'failed' && state.error?.may_have_activated !== true) {
        const error = state.error
        return {
          kind: 'failed',
          error: {
            code: error?.code ?? GatewayErrors.agentFailed.code,
            detail: error?.detail ?? 'the secondary agent reports the activation failed',
            fix: error?.fix ?? null,
          },
        }
      }
      if (agentKnew && state.state === 'unknown' && ctx.now() - sentAt > DELIVERY_GRACE_MS) {
        return { kind: 'not_activated' }
      }
      if (agentKnew && state.state === 'succeeded') {
        return activatedWith(await settledPairStatus(ctx), id) ? { kind: 'activated' } : undefined
      }
      // The agent cannot say (restarted since, unreachable, or Vault's answer was lost): the clusters must.
      const pair = await pairStatus(ctx).catch(() => undefined)
      if (pair !== undefined && activatedWith(pair, id)) return { kind: 'activated' }
      const secondary = pair?.secondary
      const mode = secondary?.replication?.mode
      const otherId = secondary?.replication?.secondary_id
      // Settled on something else: a DR secondary with another id cannot be activated by this token any more.
      if (mode === 'secondary' && otherId !== null && otherId !== undefined && otherId !== id) {
        return { kind: 'not_activated' }
      }
      const quiet = secondary !== undefined && !secondaryUnreadable(secondary) && mode === 'disabled'
      if (quiet && ctx.now() > hopeless) return { kind: 'not_activated' }
      last = `the secondary agent cannot say how activation ${sent.id} ended (${state === undefined ? 'unreachable' : `it started at ${state.agent_started_at}`}); the secondary's DR mode is ${mode ?? 'unreadable'}`
      return ctx.now() > giveUpAt ? 'unresolved' : undefined
    },
    { timeoutMs: Math.max(giveUpAt - ctx.now(), 0) + 5_000, signal: ctx.signal, initialMs: 200, maxMs: 2_000 },
  )
  if (outcome !== undefined && outcome !== 'unresolved') return outcome
  throw GatewayErrors.activationUnresolved(`activation ${sent.id} sent at ${sent.sent_at}: ${last}`)
}
