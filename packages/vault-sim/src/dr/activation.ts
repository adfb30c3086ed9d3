import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClusterContext } from '../context.ts'
import { ERR_BOOTSTRAP_PREFIX, ERR_UNWRAP_NETWORK_PREFIX, unwrapResponseError } from '../messages.ts'
import { isJwtShaped, readClaimsUnverified } from '../replication/jwt.ts'
import { DialError, dialPrimary, type PrimaryConnection } from '../replication/stream-client.ts'
import { postUnwrap } from '../replication/unwrap-client.ts'
import type { SecondaryCredentials } from '../state.ts'
import { badRequest, internalError } from '../vault-error.ts'
import { credentialsFromWire } from './activation-credentials.ts'
import { type Body, stringParam } from './params.ts'
import { openForSecondary } from './public-key-activation.ts'

export interface Activation {
  credentials: SecondaryCredentials
  connection: PrimaryConnection
}

/**
 * The two steps of secondary activation, with Vault's error wording:
 * 1. the secondary's credentials: opened here when the token was sealed to this cluster's secondary_public_key,
 *    else from POST <addr>/v1/sys/wrapping/unwrap on the primary's API;
 * 2. mutual-TLS dial of the primary's cluster port (ALPN replication_dr_v1) → the bootstrap package.
 */
export async function fetchActivation(
  ctx: ClusterContext,
  body: Body,
  { forceFullSync }: { forceFullSync: boolean },
): Promise<Activation> {
  const token = stringParam(body, 'token')
  if (!token) throw badRequest(ctx.options.compat.messages.missingActivationToken)
  const credentials = openSealedToken(ctx, token) ?? (await unwrapAtPrimary(ctx, body, token))

  const options = ctx.secondaryLink.dialOptions({
    secondaryId: credentials.secondaryId,
    knownPrimaryClusterAddrs: credentials.primaryClusterAddrs,
    credentials,
  })
  // An empty merkle root makes the primary send everything: activation always replaces local data.
  if (forceFullSync) options.hello.merkleRoot = ''
  try {
    return { credentials, connection: await dialPrimary(options) }
  } catch (err) {
    const cause = err instanceof DialError ? err.message : String(err)
    throw internalError(`${ERR_BOOTSTRAP_PREFIX}rpc error: code = Unavailable desc = ${cause}`)
  }
}

/** A token from secondary-token with this cluster's secondary_public_key: opened here, no call to the primary. */
function openSealedToken(ctx: ClusterContext, token: string): SecondaryCredentials | undefined {
  if (!ctx.activationKey || isJwtShaped(token)) return undefined
  const opened = openForSecondary(ctx.activationKey.privateKey, token) as { exp?: unknown } | undefined
  if (opened === undefined) return undefined
  if (typeof opened.exp === 'number' && opened.exp * 1000 <= Date.now()) {
    throw badRequest(ctx.options.compat.messages.expiredActivationToken)
  }
  const credentials = credentialsFromWire(opened)
  if (!credentials) throw badRequest(ctx.options.compat.messages.missingActivationToken)
  return credentials
}

async function unwrapAtPrimary(ctx: ClusterContext, body: Body, token: string): Promise<SecondaryCredentials> {
  const { messages } = ctx.options.compat
  const addr = stringParam(body, 'primary_api_addr') || readClaimsUnverified(token)?.addr || ''
  if (!addr) throw badRequest(messages.noPrimaryApiAddr)
  const caPem = await trustedApiCas(ctx, body)
  const url = `${addr.replace(/\/+$/, '')}/v1/sys/wrapping/unwrap`

  let unwrapped: Awaited<ReturnType<typeof postUnwrap>>
  ctx.log(`dr: unwrapping the activation token at ${addr}`)
  try {
    unwrapped = await postUnwrap(url, token, { caPem, timeoutMs: ctx.options.timings.unwrapTimeoutMs })
  } catch (err) {
    throw internalError(`${ERR_UNWRAP_NETWORK_PREFIX}Post "${url}": ${(err as Error).message}`)
  }
  if (unwrapped.status !== 200) throw internalError(unwrapResponseError(unwrapped.status, unwrapped.statusText))
  const credentials = credentialsFromWire((unwrapped.body as { data?: unknown } | undefined)?.data)
  if (!credentials) throw internalError(`${ERR_UNWRAP_NETWORK_PREFIX}unwrapped response holds no secondary credentials`)
  return credentials
}

/** ca_pem (emulator extension), ca_file, ca_path: PEM trust for the primary's API; undefined = system roots. */
async function trustedApiCas(ctx: ClusterContext, body: Body): Promise<string | undefined> {
  const pem = stringParam(body, 'ca_pem')
  if (pem) return pem
  const file = stringParam(body, 'ca_file')
  const dir = stringParam(body, 'ca_path')
  try {
    if (file) return await readFile(file, 'utf8')
    if (dir) {
      const names = (await readdir(dir)).filter((n) => /\.(pem|crt)$/.test(n)).sort()
      return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n')
    }
  } catch (err) {
    throw badRequest(ctx.options.compat.messages.unreadableCaFile((err as Error).message))
  }
  return undefined
}
