import { isCodedError, type ReadinessCheck } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { SecretBox } from './secret-box.ts'
import type { Store } from './store.ts'

const KEY_CHECK = 'store_key_check'

/** Records the store key's check value on first start; afterwards says whether this gateway's key still matches. */
export async function verifyStoreKey(store: Store, box: SecretBox, log: FastifyBaseLogger): Promise<boolean> {
  const stored = await store.getMeta(KEY_CHECK)
  if (stored === undefined) {
    await store.setMeta(KEY_CHECK, box.keyCheck())
    return true
  }
  const matches = stored === box.keyCheck()
  if (!matches) {
    log.error(
      { code: 'GATEWAY_ERR_STORE_KEY_MISMATCH' },
      'the store was written with another key: agent tokens cannot be decrypted (VAULT_DR_STORE_KEY or VAULT_DR_API_TOKEN changed)',
    )
  }
  return matches
}

/**
 * Ready when the store answers and its agent tokens can be decrypted with this gateway's key. A store that fails with
 * a coded error (etcd without a quorum) says its code and fix.
 */
export function storeReadiness(store: Store, box: SecretBox): ReadinessCheck {
  return async () => {
    try {
      await store.ping()
    } catch (err) {
      if (!isCodedError(err)) throw err
      return { ok: false, detail: `${err.code}: ${err.message}. ${err.fix ?? ''}`.trim() }
    }
    const stored = await store.getMeta(KEY_CHECK)
    if (stored !== undefined && stored !== box.keyCheck()) {
      return { ok: false, detail: 'the store key does not match: set the VAULT_DR_STORE_KEY it was written with' }
    }
    return { ok: true, detail: 'the store answers and its key matches' }
  }
}
