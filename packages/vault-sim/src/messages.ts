// Texts the fact sheet gives verbatim (observed in real Vault output or read in Vault's source).
// Texts it marks [unverified] live in compat.ts instead, so callers can override them.

export const WARN_PRIMARY_ENABLE =
  'This cluster is being enabled as a primary for replication. Vault will be unavailable for a brief period and will resume service shortly.'
export const WARN_DEMOTE =
  'This cluster is being demoted to a replication secondary. Vault will be unavailable for a brief period and will resume service shortly.'
export const WARN_DISABLE =
  'This cluster is having replication disabled. Vault will be unavailable for a brief period and will resume service shortly.'
export const WARN_PROMOTE =
  'This cluster is being promoted to a replication primary. Vault will be unavailable for a brief period and will resume service shortly.'
export const WARN_SECONDARY_ENABLE =
  'Vault has successfully found secondary information; it may take a while to perform setup tasks. Vault will be unavailable until these tasks and initial sync complete.'
export const WARN_NO_REDIRECT_ADDR =
  "No redirect address set in Vault so none could be encoded in the token. You may need to supply Vault's API address when unwrapping the token."

export const ERR_SEALED = 'Vault is sealed'
export const ERR_PERMISSION_DENIED = 'permission denied'
/** logical.ErrUnsupportedOperation: a path Vault serves, asked with an operation it does not take (405). */
export const ERR_UNSUPPORTED_OPERATION = 'unsupported operation'
export const ERR_BATCH_NOT_REVOCABLE = 'batch tokens cannot be revoked'
export const ERR_ENTERPRISE_ONLY = 'enterprise-only feature'
export const ERR_PATH_DISABLED_DR_SECONDARY = 'path disabled in replication DR secondary mode'
export const ERR_WRAPPING_TOKEN_INVALID = 'wrapping token is not valid or does not exist'
export const ERR_NOT_UNWRAP_TOKEN = 'token is not a valid unwrap token'
export const ERR_WRAPPING_EMPTY_TOKEN = 'error validating wrapping token: empty token in request body'
export const ERR_WRAPPING_SIGNATURE_PREFIX =
  'error validating wrapping token: wrapping token signature could not be validated: '
export const ERR_WRAPPING_PARSE_PREFIX = 'error validating wrapping token: wrapping token could not be parsed: '

export const ERR_UNWRAP_NETWORK_PREFIX = 'error unwrapping secondary token: '
export const ERR_BOOTSTRAP_PREFIX = 'error fetching secondary bootstrap package: error authing for bootstrap: '

/** `error response unwrapping secondary token; status code is 400, message is "400 Bad Request"` */
export function unwrapResponseError(status: number, statusText: string): string {
  return `error response unwrapping secondary token; status code is ${status}, message is "${status} ${statusText}"`
}

export const SECONDARY_TOKEN_CREATION_PATH = 'sys/replication/dr/primary/secondary-token'
export const DR_ALPN = 'replication_dr_v1'
/** Go's zero time as a Unix epoch string: what Vault prints for "never checked". */
export const GO_ZERO_EPOCH = '-62135596800'
/** Go's zero time in RFC 3339: sys/leader's active_time when there is no active node. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z'
