import {
  decodeActivationToken,
  GUARD_STATUS_MAX_AGE_MS,
  isCodedError,
  type VaultAgent,
  VaultErrors,
} from '@vault-dr/core'
import { PrimaryErrors } from '../primary-errors.ts'
import { ttlSeconds } from './dr-primary.schemas.ts'

/**
 * Mints a wrapped activation token for one secondary id and hands it back once. The token passes through
 * memory only: it is not logged, not cached and not kept.
 */
export async function createSecondaryToken(agent: VaultAgent, secondaryId: string, ttl: string) {
  // Vault refuses a mint on a non-primary or for a known id itself: a status read just before is good enough here.
  const { replication } = await agent.status(GUARD_STATUS_MAX_AGE_MS)
  if (replication?.mode !== 'primary') {
    throw PrimaryErrors.notPrimary(`The cluster's DR mode is ${replication?.mode ?? 'unknown'}, not primary.`)
  }
  if (replication.known_secondaries.includes(secondaryId)) {
    throw PrimaryErrors.secondaryExists(`A token was already issued for secondary id "${secondaryId}".`)
  }
  const res = await agent.vault
    .write('sys/replication/dr/primary/secondary-token', { id: secondaryId, ttl: `${ttlSeconds(ttl)}s` })
    .catch((err: unknown) => {
      if (isCodedError(err, VaultErrors.alreadyExists.code)) {
        throw PrimaryErrors.secondaryExists(`Vault says secondary id "${secondaryId}" already exists.`, { cause: err })
      }
      throw err
    })
  agent.invalidateStatus()
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

/** Revokes a secondary id; revoking an id the primary does not know changes nothing and says so. */
export async function revokeSecondary(agent: VaultAgent, secondaryId: string) {
  agent.invalidateStatus()
  const { replication } = await agent.status()
  if (replication?.mode !== 'primary') {
    throw PrimaryErrors.notPrimary(`The cluster's DR mode is ${replication?.mode ?? 'unknown'}, not primary.`)
  }
  if (!replication.known_secondaries.includes(secondaryId)) {
    return { secondary_id: secondaryId, revoked: false, detail: 'The primary does not know this id; nothing changed.' }
  }
  await agent.vault.write('sys/replication/dr/primary/revoke-secondary', { id: secondaryId })
  agent.invalidateStatus()
  return {
    secondary_id: secondaryId,
    revoked: true,
    detail: 'Revoked: the secondary is disconnected and its token void.',
  }
}
