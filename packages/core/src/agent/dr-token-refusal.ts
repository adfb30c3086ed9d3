import { isCodedError } from '../errors.ts'
import { VaultErrors } from '../vault/vault-errors.ts'

/**
 * How Vault refused a call made with a DR operation token on a DR secondary: `token` (403: expired, another
 * cluster's, or a policy without the path) or `unsupported` (this Vault does not serve the path there); undefined for
 * any other failure, which the caller throws.
 */
export function drTokenRefusal(err: unknown): 'token' | 'unsupported' | undefined {
  if (!isCodedError(err)) return undefined
  if (err.code === VaultErrors.permissionDenied.code || err.upstream?.status === 403) return 'token'
  if (err.code === VaultErrors.drSecondaryLocked.code) return 'unsupported'
  if (err.code === VaultErrors.rejected.code && err.upstream?.status === 404) return 'unsupported'
  return undefined
}
