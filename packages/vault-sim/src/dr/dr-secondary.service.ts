import { beginRestart, type ClusterContext, newReplicationCa, setDrState } from '../context.ts'
import { WARN_DISABLE, WARN_PROMOTE, WARN_SECONDARY_ENABLE } from '../messages.ts'
import { DialError, type PrimaryConnection, pingPrimary } from '../replication/stream-client.ts'
import { isSecondaryMode, type SecondaryCredentials, type SecondaryDrState } from '../state.ts'
import { badRequest, unavailable } from '../vault-error.ts'
import { fetchActivation } from './activation.ts'
import { authorizeDrOperation } from './dr-operation-token.ts'
import { type Body, boolParam, listParam, stringParam } from './params.ts'
import { newActivationKeyPair } from './public-key-activation.ts'

/** secondary/enable: fetch the credentials, bootstrap over the primary's cluster port, then wipe and follow it. */
export async function enableSecondary(ctx: ClusterContext, body: Body): Promise<string[]> {
  const { messages } = ctx.options.compat
  if (ctx.dr.mode === 'primary') throw badRequest(messages.secondaryEnableOnPrimary)
  // A DR secondary never gets here: the API's DR-secondary lockdown answers first, as in Vault.
  if (isSecondaryMode(ctx.dr)) throw badRequest(messages.alreadySecondary)
  // Nothing changes locally until both steps succeeded.
  const { credentials, connection } = await fetchActivation(ctx, body, { forceFullSync: true })
  // The wipe: every token of its own goes, the ceremony's too (vault-dr-api 2.7, 7.1).
  ctx.operationTokens.clear()
  follow(ctx, credentials, connection, true)
  // "Vault will be unavailable until these tasks and initial sync complete": no active node for a moment, as after
  // an update-primary, while the merkle phases go on.
  beginRestart(ctx)
  ctx.log(`dr: enabled as secondary ${credentials.secondaryId}; local data replaced by the primary's`)
  return [WARN_SECONDARY_ENABLE]
}

/** secondary/generate-public-key: a fresh key pair; a later secondary-token with this key needs no unwrap call. */
export function generatePublicKey(ctx: ClusterContext): { secondary_public_key: string } {
  ctx.activationKey = newActivationKeyPair()
  ctx.log('dr: generated a secondary public key')
  return { secondary_public_key: ctx.activationKey.publicKey }
}

export async function promoteSecondary(ctx: ClusterContext, body: Body): Promise<string[]> {
  const dr = requireSecondary(ctx)
  authorizeDrOperation(ctx, body, 'sys/replication/dr/secondary/promote')
  const catchingUp = dr.connectionState === 'ready' && dr.state !== 'stream-wals'
  if (catchingUp && !boolParam(body, 'force')) throw unavailable(ctx.options.compat.messages.promoteNotInSync)
  ctx.secondaryLink.detach()
  if (ctx.options.compat.promotedWalCounter === 'local') ctx.storage.adoptLocalWalCounter()
  setDrState(ctx, {
    mode: 'primary',
    clusterId: dr.clusterId,
    primaryClusterAddr: stringParam(body, 'primary_cluster_addr'),
    ca: await newReplicationCa(ctx),
    secondaries: new Map(),
  })
  beginRestart(ctx)
  ctx.log('dr: promoted to primary')
  return [WARN_PROMOTE]
}

/**
 * Re-points the secondary (no wipe) with a new activation token. `token: ""` forgets the primary and stops
 * reconnecting; `update_primary_addrs` (mutually exclusive with `token`) pings the addresses one by one and looks for
 * the same primary at the first that answers (D8). Answers with a body, then a brief period with no active node.
 */
export async function updatePrimary(ctx: ClusterContext, body: Body): Promise<string[] | undefined> {
  const { compat } = ctx.options
  const dr = requireSecondary(ctx)
  authorizeDrOperation(ctx, body, 'sys/replication/dr/secondary/update-primary')
  const hasToken = body.token !== undefined && body.token !== null
  const candidates = listParam(body.update_primary_addrs)
  if (hasToken && candidates.length > 0) throw badRequest(compat.messages.updatePrimaryTokenAndAddrs)
  const done = (warnings: string[]) => {
    beginRestart(ctx)
    return compat.updatePrimaryStatus === 200 ? warnings : undefined
  }
  if (candidates.length > 0) {
    if (!dr.credentials) throw badRequest(compat.messages.updatePrimaryAddrsWithoutPrimary)
    const answered = await firstAnswering(ctx, candidates, dr.credentials)
    ctx.secondaryLink.setCandidates([answered])
    ctx.log(`dr: secondary looks for its primary at ${answered}`)
    return done([])
  }
  if (hasToken && stringParam(body, 'token') === '') {
    ctx.secondaryLink.detach()
    // A bootstrap cut short ends here too: the link's timer that would have ended it is gone.
    Object.assign(dr, {
      mode: 'secondary',
      credentials: undefined,
      primary: undefined,
      state: 'idle',
      connectionState: 'idle',
    })
    return done([])
  }
  const { credentials, connection } = await fetchActivation(ctx, body, { forceFullSync: false })
  if (connection.welcome.clusterId !== dr.clusterId) {
    connection.socket.destroy()
    throw badRequest(compat.messages.updatePrimaryOtherSet)
  }
  follow(ctx, credentials, connection, false)
  ctx.log(`dr: secondary re-pointed to a new primary as ${credentials.secondaryId}`)
  return done([WARN_SECONDARY_ENABLE])
}

export function disableSecondary(ctx: ClusterContext, body: Body): string[] {
  requireSecondary(ctx)
  authorizeDrOperation(ctx, body, 'sys/replication/dr/secondary/disable')
  ctx.secondaryLink.detach()
  setDrState(ctx, { mode: 'disabled' })
  beginRestart(ctx)
  ctx.log('dr: secondary disabled')
  return [WARN_DISABLE]
}

async function firstAnswering(ctx: ClusterContext, addrs: string[], credentials: SecondaryCredentials) {
  let lastCause = ''
  for (const addr of addrs) {
    try {
      await pingPrimary(addr, credentials, ctx.options.timings.dialTimeoutMs)
      return addr
    } catch (err) {
      lastCause = err instanceof DialError ? err.message : String(err)
    }
  }
  throw badRequest(ctx.options.compat.messages.noUpdatePrimaryAddrAnswered(lastCause))
}

function follow(
  ctx: ClusterContext,
  credentials: SecondaryCredentials,
  connection: PrimaryConnection,
  initial: boolean,
) {
  const now = new Date()
  const state: SecondaryDrState = {
    mode: initial ? 'bootstrapping' : 'secondary',
    clusterId: connection.welcome.clusterId,
    secondaryId: credentials.secondaryId,
    state: initial ? ctx.options.compat.bootstrappingState : 'merkle-diff',
    connectionState: 'ready',
    primaryClusterAddr: connection.address,
    knownPrimaryClusterAddrs: connection.welcome.primaryClusterAddrs,
    primary: undefined,
    lastStart: now,
    // The bootstrap reindex runs as the secondary starts following (D12: last_reindex_epoch equals last_start).
    reindexEpoch: String(Math.floor(now.getTime() / 1000)),
    credentials,
    sync: undefined,
  }
  ctx.secondaryLink.detach()
  setDrState(ctx, state)
  ctx.secondaryLink.attach(state, connection, initial)
}

function requireSecondary(ctx: ClusterContext): SecondaryDrState {
  if (!isSecondaryMode(ctx.dr)) throw badRequest(ctx.options.compat.messages.notSecondary)
  return ctx.dr
}
