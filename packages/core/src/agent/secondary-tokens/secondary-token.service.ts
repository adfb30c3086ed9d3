import { CoreErrors } from '../../core-errors.ts'
import { type CodedError, isCodedError } from '../../errors.ts'
import { decodeActivationToken } from '../../replication/activation-token.ts'
import { invalidFields } from '../../server/error-handler.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { statusReadError } from '../cluster-status.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { SecondaryTokenErrors as PrimaryErrors } from './secondary-token.errors.ts'
import { ttlSeconds } from './secondary-token.schemas.ts'

/**
 * How long a mint waits out Vault's 412 "required index state not present" and 503 answers, which come for a moment
 * right after a role change (enable, promote) or from a node without the latest state (hashicorp/vault#24400): 5 s, or
 * VAULT_DR_WAIT_TIMEOUT_MS when that is shorter. Well within the gateway's deadline for the call (15 s).
 */
export const MINT_RETRY_MAX_MS = 5_000

/**
 * Mints a wrapped activation token for one secondary id and hands it back once. The token passes through
 * memory only: it is not logged, not cached and not kept. Vault itself refuses a cluster that is not a DR primary and
 * an id it knows, so no status is read first; a refusal is explained from the status read after it.
 *
 * 412 and 503 answers are repeated with backoff for up to `retryUnavailableMs`. That is safe for this write: had a
 * 503 come after Vault minted, the repeat finds the id taken and answers PRIMARY_ERR_SECONDARY_EXISTS, and the
 * gateway revokes that unused id before minting again.
 */
export async function createSecondaryToken(
  agent: VaultAgent,
  secondaryId: string,
  ttl: string,
  opts: { retryUnavailableMs?: number; secondaryPublicKey?: string | undefined } = {},
) {
  const publicKey = opts.secondaryPublicKey === undefined ? {} : { secondary_public_key: opts.secondaryPublicKey }
  const res = await agent.vault
    .write(
      'sys/replication/dr/primary/secondary-token',
      { id: secondaryId, ttl: `${ttlSeconds(ttl)}s`, ...publicKey },
      opts.retryUnavailableMs === undefined ? {} : { retryUnavailableMs: opts.retryUnavailableMs },
    )
    .catch(async (err: unknown) => {
      agent.invalidateStatus()
      if (isCodedError(err, VaultErrors.alreadyExists.code)) {
        throw PrimaryErrors.secondaryExists(`Vault says secondary id "${secondaryId}" already exists.`, { cause: err })
      }
      if (!isCodedError(err, VaultErrors.rejected.code) && !isCodedError(err, VaultErrors.drSecondaryLocked.code)) {
        throw err
      }
      const primary = await explainRefusal(agent, secondaryId, err)
      // A primary, read so just after, refusing with a 400 a mint it would make without the key: the key is what it
      // could not use (a caller's mistake, not a fault of Vault's). Its exact text is not documented.
      const keyRefused = err.code === VaultErrors.rejected.code && err.upstream?.status === 400
      if (primary && keyRefused && opts.secondaryPublicKey !== undefined) throw publicKeyRefused(err)
      throw err
    })
  agent.invalidateStatus()
  if (opts.secondaryPublicKey !== undefined) return publicKeyToken(res.body?.data, secondaryId, ttl)
  const wrap = res.body?.wrap_info
  if (!wrap?.token) {
    throw PrimaryErrors.tokenMissing('sys/replication/dr/primary/secondary-token returned no wrap_info.token', {
      upstream: { service: 'vault', status: res.status, errors: res.body?.warnings ?? [] },
    })
  }
  const decoded = decodeActivationToken(wrap.token)
  if (!decoded.ok) throw PrimaryErrors.tokenMissing(`Vault's activation token is not a DR JWT: ${decoded.reason}`)
  const created = Date.parse(wrap.creation_time)
  const expiresAt = new Date((Number.isNaN(created) ? Date.now() : created) + wrap.ttl * 1000)
  return { secondary_id: secondaryId, token: wrap.token, expires_at: expiresAt.toISOString(), claims: decoded.claims }
}

/** A token made for a secondary's public key: in data.token, unwrapped, in a format of Vault's own (not a JWT). */
function publicKeyToken(data: Record<string, unknown> | null | undefined, secondaryId: string, ttl: string) {
  const token = data?.token
  if (typeof token !== 'string' || token === '') {
    throw PrimaryErrors.tokenMissing(
      'sys/replication/dr/primary/secondary-token with a public key returned no data.token',
    )
  }
  const decoded = decodeActivationToken(token)
  const expiresAt = new Date(Date.now() + ttlSeconds(ttl) * 1000)
  return {
    secondary_id: secondaryId,
    token,
    expires_at: expiresAt.toISOString(),
    claims: decoded.ok ? decoded.claims : null,
  }
}

function publicKeyRefused(cause: CodedError) {
  const message = "the primary's Vault could not use it as a DR secondary's public key (generateDrPublicKey gives one)"
  return CoreErrors.validation(`secondary_public_key: ${message}. ${cause.message}`, {
    cause: invalidFields({ path: 'body/secondary_public_key', message }),
    ...(cause.upstream === undefined ? {} : { upstream: cause.upstream }),
    fix: 'Send the secondary_public_key that generateDrPublicKey on the secondary answered, whole and unchanged.',
  })
}

/**
 * Why Vault refused a mint, in our terms, when the status says (the exact refusal texts are not documented); true when
 * the status shows a DR primary that does not know the id, false when it could not be read.
 */
async function explainRefusal(agent: VaultAgent, secondaryId: string, cause: unknown): Promise<boolean> {
  const { replication } = await agent.status(0).catch(() => ({ replication: null }))
  if (replication === null) return false
  if (replication.mode !== 'primary') {
    throw PrimaryErrors.notPrimary(`The cluster's DR mode is ${replication.mode}, not primary.`, { cause })
  }
  if (replication.known_secondaries.includes(secondaryId)) {
    throw PrimaryErrors.secondaryExists(`A token was already issued for secondary id "${secondaryId}".`, { cause })
  }
  return true
}

/**
 * Revokes a secondary id; revoking an id the primary does not know changes nothing and says so. An id a secondary is
 * connected with is refused unless forced: the check is made on a status read just before the write.
 */
export async function revokeSecondary(agent: VaultAgent, secondaryId: string, opts: { force?: boolean } = {}) {
  agent.invalidateStatus()
  const status = await agent.status()
  const { replication } = status
  // Unreadable is not "not a primary": the read's own error (unreachable, sealed, TLS...) says what to fix.
  if (replication === null) {
    throw statusReadError(status) ?? PrimaryErrors.vaultUnavailable("Cannot read the cluster's replication status.")
  }
  if (replication.mode !== 'primary') {
    throw PrimaryErrors.notPrimary(`The cluster's DR mode is ${replication.mode}, not primary.`)
  }
  if (!replication.known_secondaries.includes(secondaryId)) {
    return { secondary_id: secondaryId, revoked: false, detail: 'The primary does not know this id; nothing changed.' }
  }
  const peer = replication.secondaries.find((s) => s.node_id === secondaryId)
  if (peer?.connection_status === 'connected' && opts.force !== true) {
    throw PrimaryErrors.secondaryConnected(
      `Secondary "${secondaryId}" is connected (api ${peer.api_address ?? 'unknown'}); not revoking it without force.`,
    )
  }
  await agent.vault.write('sys/replication/dr/primary/revoke-secondary', { id: secondaryId })
  agent.invalidateStatus()
  return {
    secondary_id: secondaryId,
    revoked: true,
    detail: 'Revoked: the secondary is disconnected and its token void.',
  }
}
