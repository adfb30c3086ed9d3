import { pollUntil, VaultErrors } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { windowMs } from './catch-up.ts'
import { isRunningPrimary } from './cluster-roles.ts'
import { iso, type LegKey, type RoleChangeContext, stepPoll } from './role-change-context.ts'

const tokenRefusedFix = (cluster: string) =>
  `${cluster} is the DR primary and refused the write-check with its agent's Vault token: give the agent next to it a token made on the primary of the replication set (activation replaced the secondary's own tokens with the primary's; the agent's /readyz check vault_token says so) and restart it. Do not promote another cluster; then re-point the other clusters of the pair to ${cluster} without a wipe, each with a rejoin (vault-dr rejoin <cluster>).`

/**
 * Waits until the new primary runs and accepts a write (its agent writes and reads back a harmless policy): the end
 * of the write-unavailable window that began with the demote. The status (first the one the promote answered with)
 * and the write check are asked together: a write a cluster refuses changes nothing. The first time seen is kept
 * across a resume.
 */
export async function verifyNewPrimary(ctx: RoleChangeContext, index: LegKey): Promise<StepResult> {
  const leg = ctx.leg(index)
  const signal = ctx.signal()
  const client = ctx.client(leg.to)
  let why = 'no answer yet'
  let refusedCode: string | null = null
  let looks = 0
  const accepted = await pollUntil(
    async () => {
      refusedCode = null
      const [status, check] = await Promise.all([
        (looks++ === 0 ? ctx.recentStatus(leg.to, signal) : client.status(signal)).catch((err: Error) => {
          why = err.message
          return undefined
        }),
        client.checkWrites(signal).catch((err: Error) => ({ writable: false, detail: err.message })),
      ])
      if (status === undefined) return undefined
      if (!isRunningPrimary(status)) {
        why = `DR mode ${status.replication?.mode ?? 'unknown'}, state ${status.replication?.state ?? 'unknown'}`
        return undefined
      }
      why = check.detail
      refusedCode = 'code' in check ? check.code : null
      return check.writable ? ctx.now() : undefined
    },
    stepPoll(ctx, ctx.settings.settleTimeoutMs, signal),
  )
  if (accepted === undefined) {
    const detail = `${leg.to} did not accept a write within ${ctx.settings.settleTimeoutMs} ms: ${why}`
    // Its agent's token, not the cluster: a token made on the secondary itself died with the activation's wipe.
    if (refusedCode === VaultErrors.permissionDenied.code) {
      throw SwitchoverErrors.notWritable(detail, { fix: tokenRefusedFix(leg.to) })
    }
    throw SwitchoverErrors.notWritable(detail)
  }
  const writesAt = leg.writes_accepted_at ?? iso(accepted)
  const unavailable = windowMs(leg.demote_sent_at, writesAt)
  await ctx.saveLeg(index, { writes_accepted_at: writesAt, write_unavailable_ms: unavailable })
  // A failover demoted nothing: when writes stopped (the primary's loss) is not known, so no window is said.
  const refused = unavailable === null ? '' : `; writes were refused for ${unavailable} ms`
  return { status: 'succeeded', detail: `${leg.to} runs as DR primary and accepts writes${refused}` }
}
