import { type CodedError, isCodedError, type ReadinessCheck } from '@vault-dr/core'
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
  const matches = stored === box.keyCheck() || (await adoptKey(store, box)).adopted
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
    const failed = (err: CodedError) => ({ ok: false, detail: `${err.code}: ${err.message}. ${err.fix ?? ''}`.trim() })
    try {
      await store.ping()
    } catch (err) {
      if (!isCodedError(err)) throw err
      return failed(err)
    }
    const refusal = await store.refusesWrites?.()
    if (refusal !== undefined) return failed(refusal)
    const stored = await store.getMeta(KEY_CHECK)
    if (stored !== undefined && stored !== box.keyCheck()) {
      const { adopted, sealedElsewhere } = await adoptKey(store, box)
      if (!adopted) {
        return {
          ok: false,
          detail: `the store was written with another key (VAULT_DR_STORE_KEY, or VAULT_DR_API_TOKEN when that is unset, changed): restore it, or register these clusters again with their agent tokens (vault-dr clusters add): ${sealedElsewhere.join(', ')}; the gateway is ready once every stored cluster opens with this key`,
        }
      }
    }
    return { ok: true, detail: 'the store answers and its key matches' }
  }
}

/**
 * Once every stored cluster's agent token opens with this gateway's key (each registered again after the key
 * changed, or none left), the store is this key's: its check value is rewritten, so readiness and the next start
 * agree. Until then, the clusters still sealed with the other key.
 */
async function adoptKey(store: Store, box: SecretBox): Promise<{ adopted: boolean; sealedElsewhere: string[] }> {
  const sealedElsewhere = (await store.listClusters())
    .filter((c) => box.open(c.agent_token_sealed, c.name) === undefined)
    .map((c) => c.name)
  if (sealedElsewhere.length > 0) return { adopted: false, sealedElsewhere }
  await store.setMeta(KEY_CHECK, box.keyCheck())
  return { adopted: true, sealedElsewhere }
}
