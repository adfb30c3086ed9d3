import type { ClusterStatus } from '../agents/agent-types.ts'
import { type PairStatus, secondaryUnreadable } from '../dr/pair-status.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { pollWithBackoff } from '../util/backoff.ts'
import type { StepContext } from './handshake-context.ts'

/**
 * A cluster's status, read now; with `reuse`, a status this run read recently and has not changed since stands in
 * (for decisions about where things stand, never for waits).
 */
export async function statusOf(
  ctx: StepContext,
  side: 'primary' | 'secondary',
  opts: { reuse?: boolean } = {},
): Promise<ClusterStatus> {
  return (opts.reuse ? ctx.statuses.recent(side) : undefined) ?? ctx[side].status(ctx.signal)
}

export async function pairStatus(ctx: StepContext, opts: { reuse?: boolean } = {}): Promise<PairStatus> {
  const [primary, secondary] = await Promise.all([statusOf(ctx, 'primary', opts), statusOf(ctx, 'secondary', opts)])
  return { primary, secondary }
}

/**
 * The pair's status once the secondary is out of "bootstrapping" and can say where it stands (an activation in
 * flight, perhaps by a gateway that stopped mid-step, leaves its Vault unavailable for a while), so a decision to
 * activate, mint or revoke is never taken while one is still settling. Still unsettled after
 * VAULT_DR_VERIFY_TIMEOUT_MS: GATEWAY_ERR_SECONDARY_SETTLING (nothing is touched).
 */
export async function settledPairStatus(ctx: StepContext): Promise<PairStatus> {
  let last: PairStatus | undefined
  const settled = await pollWithBackoff(
    async () => {
      last = await pairStatus(ctx)
      const unsettled = last.secondary.replication?.mode === 'bootstrapping' || secondaryUnreadable(last.secondary)
      return unsettled ? undefined : last
    },
    { timeoutMs: ctx.settings.verifyTimeoutMs, signal: ctx.signal, initialMs: 200 },
  )
  if (settled !== undefined) return settled
  const s = last?.secondary.replication
  const where = s
    ? `mode ${s.mode}, secondary_id ${s.secondary_id ?? 'unknown'}, state ${s.state ?? 'unknown'}`
    : `DR status unreadable: ${last?.secondary.vault.error ?? 'unknown'}`
  throw GatewayErrors.secondarySettling(
    `the secondary has not settled after ${ctx.settings.verifyTimeoutMs} ms (${where}): not activated, nothing revoked`,
  )
}
