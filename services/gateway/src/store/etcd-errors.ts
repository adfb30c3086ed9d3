import { type CodedError, defineError, isCodedError } from '@vault-dr/core'

export const storeUnavailable = defineError({
  code: 'GATEWAY_ERR_STORE_UNAVAILABLE',
  status: 503,
  title: 'The gateway cannot reach a quorum of its etcd store',
  fix:
    'Start the stopped etcd members or mend the network until a majority of the members in VAULT_DR_STORE answer ' +
    'this gateway (etcdctl endpoint health --cluster); until then it starts and advances no handshake, and resumes ' +
    'them once the quorum is back.',
})

/** Any failure of a call to etcd (no quorum, no member reachable, deadline passed) as the store's coded error. */
export function toStoreError(err: unknown): CodedError {
  if (isCodedError(err)) return err
  const reason = err instanceof Error ? err.message : String(err)
  return storeUnavailable(`etcd did not answer: ${reason}`, { cause: err })
}
