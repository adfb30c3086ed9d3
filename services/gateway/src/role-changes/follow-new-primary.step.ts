import { pollUntil } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import { SwitchoverErrors } from '../switchovers/switchover-errors.ts'
import { type FollowState, followState } from './cluster-roles.ts'
import { requireDrMode } from './readable-status.ts'
import { type LegKey, type RoleChangeContext, stepPoll } from './role-change-context.ts'

/**
 * Makes `cluster` a DR secondary of the leg's new primary without a wipe: a public key from it, a token minted for it
 * on the new primary with that key (no unwrap call back to the primary), update-primary on it with the token and the
 * DR operation token; then waits until it streams. The token lives in memory for this one step. Resumed, the step
 * reads where the cluster stands first: streaming is done, syncing is waited for, an id minted before and unused is
 * revoked and minted again.
 */
export async function followNewPrimary(ctx: RoleChangeContext, index: LegKey, cluster: string): Promise<StepResult> {
  const leg = ctx.leg(index)
  const follower = leg.followers.find((f) => f.cluster === cluster)
  if (follower === undefined) throw new Error(`${cluster} is not a follower of this leg`)
  const sid = follower.secondary_id
  const signal = ctx.signal()
  const me = ctx.client(cluster)
  const primary = ctx.client(leg.to)
  const read = async () => {
    const [mine, theirs] = await Promise.all([me.status(signal), primary.status(signal)])
    return followState(mine, theirs, sid)
  }

  const paired = () => ctx.recordPairing({ secondary: cluster, primary: leg.to, secondary_id: sid })
  // Where it stands, as the steps before just saw it (or read now).
  const [mine, theirs] = await Promise.all([ctx.recentStatus(cluster, signal), ctx.recentStatus(leg.to, signal)])
  requireDrMode(cluster, mine, 'its re-pointing')
  requireDrMode(leg.to, theirs, `the re-pointing of ${cluster}`)
  const seen = followState(mine, theirs, sid)
  // Syncing towards the new primary is only believed of a cluster this leg sent update-primary to: otherwise the
  // primary's entry for the id is an old one, and the cluster still follows someone else.
  const sent = (ctx.leg(index).repoint_sent ?? []).includes(cluster)
  const state: FollowState = seen === 'syncing' && !sent ? 'stale_id' : seen
  if (state === 'streaming') {
    await paired()
    // Re-pointed by an attempt that did not live to check it.
    if (sent) await checkMerkleAfterRepointing(ctx, cluster, signal)
    return { status: 'succeeded', detail: `${cluster} already streams from ${leg.to}` }
  }
  if (state === 'is_primary') {
    throw SwitchoverErrors.unexpectedRole(`${cluster} is a DR primary: it cannot follow ${leg.to}`)
  }
  if (state === 'unknown') {
    throw SwitchoverErrors.followerNotStreaming(`${cluster} gave no readable DR status, so it was not re-pointed`)
  }
  let last: FollowState = state
  // Looked at once (a near cluster streams within ms of its update-primary), then every 5, 10, 20 ms.
  const streams = async () =>
    (await pollUntil(
      async () => {
        last = await read().catch(() => 'unknown' as const)
        return last === 'streaming' ? true : undefined
      },
      stepPoll(ctx, ctx.settings.settleTimeoutMs, signal),
    )) === true

  /** Public key, token minted for it on the new primary (an unused one revoked first), update-primary. */
  const repoint = async (seenNow: FollowState) => {
    // One epoch for the changes of this re-pointing, on both sides.
    const epoch = await ctx.bumpEpoch()
    // The key first: its agent refuses while an update-primary it was asked earlier is still under way (an attempt
    // whose answer was lost), before anything is revoked that this attempt read as unused.
    const { secondary_public_key } = await me.generatePublicKey({ epoch, signal })
    let revoked = false
    if (seenNow === 'stale_id' || seenNow === 'syncing') {
      await primary.revoke(sid, signal, { epoch })
      revoked = true
    }
    const minted = await primary.mintToken(
      { secondary_id: sid, ttl: ctx.settings.activationTtl, secondary_public_key },
      signal,
      { epoch },
    )
    const token = await ctx.drToken()
    const before = ctx.leg(index).repoint_sent ?? []
    await ctx.saveLeg(index, { repoint_sent: [...before.filter((c) => c !== cluster), cluster] })
    await me.updatePrimary({ dr_operation_token: token, token: minted.token }, { epoch, signal })
    return revoked ? ` (the id ${sid} minted by an earlier attempt was revoked first)` : ''
  }

  const notStreaming = () =>
    SwitchoverErrors.followerNotStreaming(
      `${cluster} was re-pointed to ${leg.to} but does not stream ${ctx.settings.settleTimeoutMs} ms later (${last})`,
    )
  let how = 're-pointed by an earlier attempt'
  let streaming = false
  if (state !== 'syncing') how = `re-pointed without a wipe${await repoint(state)}`
  else if (await streams()) streaming = true
  else {
    // Written as sent before the call, it may never have reached Vault (the gateway died in between): one that shows
    // stream-wals with the new primary not seeing it connected may be following the primary it lost (Vault can go on
    // showing that state, fact sheet P3), and one not using the id took no token; either is sent again, once. A sync
    // under way (merkle-diff, merkle-sync, connecting) is the update-primary at work: never cut off.
    const seen = await Promise.all([me.status(signal), primary.status(signal)]).catch(() => undefined)
    const now: FollowState = seen === undefined ? 'unknown' : followState(seen[0], seen[1], sid)
    const lostPrimaryShown = now === 'syncing' && seen?.[0].replication?.state === 'stream-wals'
    if (now === 'is_primary')
      throw SwitchoverErrors.unexpectedRole(`${cluster} is a DR primary: it cannot follow ${leg.to}`)
    if (now === 'streaming') streaming = true
    else if (lostPrimaryShown || now === 'stale_id' || now === 'needs_token') {
      await repoint('stale_id')
      how = `re-pointed again: the update-primary an earlier attempt wrote as sent showed no effect in ${ctx.settings.settleTimeoutMs} ms, so it was sent again`
    } else {
      last = now
      throw notStreaming()
    }
  }
  if (!streaming && !(await streams())) throw notStreaming()
  await paired()
  await checkMerkleAfterRepointing(ctx, cluster, signal)
  return { status: 'succeeded', detail: `${cluster} ${how}: it streams from ${leg.to} as ${sid}` }
}

/**
 * Vault's merkle-check on a cluster just re-pointed, as HashiCorp advises after every update-primary: a corrupted tree,
 * or a check that could not run, is a warning on the operation (the cluster streams; a reindex is the operator's
 * call, and its readiness shows the corruption), never a failed step.
 */
async function checkMerkleAfterRepointing(ctx: RoleChangeContext, cluster: string, signal: AbortSignal) {
  let warning: string
  try {
    const check = await ctx.client(cluster).checkMerkle(await ctx.drToken(), signal)
    if (check.outcome === 'clean') return
    warning = `merkle-check on ${cluster} after its re-pointing: ${check.code}: ${check.detail} ${check.fix ?? ''}`
  } catch (err) {
    if (signal.aborted) throw err
    warning = `merkle-check on ${cluster} after its re-pointing could not run: ${err instanceof Error ? err.message : String(err)}`
  }
  await ctx.warn(warning.trim())
}
