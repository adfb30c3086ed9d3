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

export const storeFull = defineError({
  code: 'GATEWAY_ERR_STORE_FULL',
  status: 503,
  title: "The gateway's etcd store refuses writes: its space quota is used up (NOSPACE alarm)",
  fix:
    'Free space in etcd: compact its history (etcdctl compact <revision>), defragment every member (etcdctl defrag ' +
    '--cluster), then disarm the alarm (etcdctl alarm disarm); or raise --quota-backend-bytes. Reads still work; ' +
    'the gateway starts and advances no operation until writes succeed again.',
})

export const storeRefused = defineError({
  code: 'GATEWAY_ERR_STORE_REFUSED',
  status: 503,
  title: "The gateway's etcd store refused the request",
  fix:
    "Read etcd's reason in the detail: a permission denied needs the gateway's etcd user granted read and write " +
    'on VAULT_DR_ETCD_PREFIX; a request too large needs a larger --max-request-bytes on every member.',
})

/** etcd's own reasons a request is refused for good (not a quorum or network failure), by their message. */
const REFUSALS = [
  { pattern: /database space exceeded/, error: storeFull },
  {
    pattern: /permission denied|authentication failed|invalid auth token|user name is empty|request is too large/,
    error: storeRefused,
  },
]

/**
 * Any failure of a call to etcd as the store's coded error: its space used up or its refusal (permission, size) as
 * such, anything else (no quorum, no member reachable, deadline passed) as unavailable.
 */
export function toStoreError(err: unknown): CodedError {
  if (isCodedError(err)) return err
  const reason = err instanceof Error ? err.message : String(err)
  const refusal = REFUSALS.find((r) => r.pattern.test(reason))
  if (refusal !== undefined) return refusal.error(`etcd refused the request: ${reason}`, { cause: err })
  return storeUnavailable(`etcd did not answer: ${reason}`, { cause: err })
}
