import { randomUUID } from 'node:crypto'
import {
  beginRestart,
  type ClusterContext,
  firstDialAddrs,
  newReplicationCa,
  primaryState,
  setDrState,
} from '../context.ts'
import { SECONDARY_TOKEN_CREATION_PATH, WARN_DEMOTE, WARN_DISABLE, WARN_PRIMARY_ENABLE } from '../messages.ts'
import { isSecondaryMode, type PrimaryDrState } from '../state.ts'
import { badRequest } from '../vault-error.ts'
import { credentialsToWire } from './activation-credentials.ts'
import { type Body, parseDurationSeconds, stringParam } from './params.ts'
import { parseSecondaryPublicKey, sealForSecondary } from './public-key-activation.ts'

const defaultActivationTtlSeconds = 1800

export async function enablePrimary(ctx: ClusterContext, body: Body): Promise<string[]> {
  const { messages } = ctx.options.compat
  if (ctx.dr.mode === 'primary') throw badRequest(messages.primaryEnableOnPrimary)
  // A DR secondary never gets here: the API's DR-secondary lockdown answers first, as in Vault.
  if (isSecondaryMode(ctx.dr)) throw badRequest(messages.alreadySecondary)
  setDrState(ctx, {
    mode: 'primary',
    // A fresh replication-set id on every enable: old secondaries will need a wipe.
    clusterId: randomUUID(),
    primaryClusterAddr: stringParam(body, 'primary_cluster_addr'),
    ca: await newReplicationCa(ctx),
    secondaries: new Map(),
  })
  beginRestart(ctx)
  ctx.log('dr: enabled as primary')
  return [WARN_PRIMARY_ENABLE]
}

/**
 * Issues the secondary's client certificate: response-wrapped (the activation token in wrap_info), or, with
 * `secondary_public_key`, sealed to that key and answered in data.token (fact sheet 2.7).
 */
export async function createSecondaryToken(ctx: ClusterContext, body: Body): Promise<SecondaryTokenResult> {
  const { compat } = ctx.options
  const primary = requirePrimary(ctx)
  const id = stringParam(body, 'id')
  if (!id) throw badRequest(compat.messages.missingSecondaryId)
  const publicKeyText = stringParam(body, 'secondary_public_key')
  const recipient = publicKeyText ? parseSecondaryPublicKey(publicKeyText) : undefined
  if (publicKeyText && !recipient) throw badRequest(compat.messages.invalidSecondaryPublicKey)
  const ttl =
    body.ttl === undefined || body.ttl === '' ? defaultActivationTtlSeconds : parseDurationSeconds(body.ttl, 'ttl')
  if (primary.secondaries.has(id)) {
    if (compat.duplicateSecondaryId === 'error') throw badRequest(compat.messages.duplicateSecondaryId(id))
    forgetSecondary(ctx, primary, id)
  }
  const client = await primary.ca.issue({ commonName: id, usage: 'client' })
  primary.secondaries.set(id, { id, certFingerprint: client.fingerprint256, connection: undefined })
  const credentials = credentialsToWire({
    secondaryId: id,
    clusterId: primary.clusterId,
    primaryApiAddr: ctx.addrs.apiAdvertise ?? '',
    primaryClusterAddrs: firstDialAddrs(ctx),
    primaryClusterCaPem: ctx.identity.certPem,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
  })
  ctx.log(`dr: issued an activation token for secondary ${id}`)
  if (recipient) {
    const exp = Math.floor(Date.now() / 1000) + ttl
    return { data: { token: sealForSecondary(recipient, { ...credentials, exp }) }, warnings: [] }
  }
  return ctx.wrapping.wrap(credentials, ttl, SECONDARY_TOKEN_CREATION_PATH, id)
}

export type SecondaryTokenResult =
  | Awaited<ReturnType<ClusterContext['wrapping']['wrap']>>
  | { data: { token: string }; warnings: string[] }

export function revokeSecondary(ctx: ClusterContext, body: Body): void {
  const primary = requirePrimary(ctx)
  const id = stringParam(body, 'id')
  if (!id) throw badRequest(ctx.options.compat.messages.missingSecondaryId)
  if (!primary.secondaries.has(id)) throw badRequest(ctx.options.compat.messages.unknownSecondaryId(id))
  forgetSecondary(ctx, primary, id)
  ctx.log(`dr: revoked secondary ${id}`)
}

/** Becomes a secondary that connects to nothing, keeping the replication set and data. */
export function demotePrimary(ctx: ClusterContext): string[] {
  const primary = requirePrimary(ctx)
  revokeAllActivationTokens(ctx, primary)
  setDrState(ctx, {
    mode: 'secondary',
    clusterId: primary.clusterId,
    secondaryId: '',
    state: 'idle',
    connectionState: 'idle',
    primaryClusterAddr: '',
    knownPrimaryClusterAddrs: [],
    primary: undefined,
    lastStart: new Date(),
    reindexEpoch: '0',
    credentials: undefined,
    sync: undefined,
  })
  beginRestart(ctx)
  ctx.log('dr: demoted to secondary')
  return [WARN_DEMOTE]
}

export function disablePrimary(ctx: ClusterContext): string[] {
  const primary = requirePrimary(ctx)
  revokeAllActivationTokens(ctx, primary)
  setDrState(ctx, { mode: 'disabled' })
  beginRestart(ctx)
  ctx.log('dr: primary disabled')
  return [WARN_DISABLE]
}

function requirePrimary(ctx: ClusterContext): PrimaryDrState {
  const primary = primaryState(ctx)
  if (!primary) throw badRequest(ctx.options.compat.messages.notPrimary)
  return primary
}

function forgetSecondary(ctx: ClusterContext, primary: PrimaryDrState, id: string): void {
  primary.secondaries.delete(id)
  ctx.wrapping.revokeTagged(id)
  ctx.primarySessions.drop(id)
}

function revokeAllActivationTokens(ctx: ClusterContext, primary: PrimaryDrState): void {
  if (!ctx.options.compat.revokeActivationTokensOnRoleChange) return
  for (const id of primary.secondaries.keys()) ctx.wrapping.revokeTagged(id)
}
