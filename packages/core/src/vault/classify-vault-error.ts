import type { CodedError } from '../errors.ts'
import { deniedFix } from './denied-fix.ts'
import { VaultErrors } from './vault-errors.ts'

/**
 * The one place that reads Vault's error texts: it turns a status and Vault's `errors` into our codes,
 * keeping Vault's message and status in `upstream`.
 */
export function classifyVaultError(status: number, errors: string[], what: string): CodedError {
  const upstream = { service: 'vault', status, errors }
  const text = errors.join('; ')
  const detail = `${what}: Vault answered ${status}${text ? `: ${text}` : ''}`
  const has = (fragment: string) => errors.some((e) => e.includes(fragment))
  if (has('enterprise-only feature')) return VaultErrors.enterpriseOnly(detail, { upstream })
  if (has('path disabled in replication DR secondary mode')) return VaultErrors.drSecondaryLocked(detail, { upstream })
  if (has('wrapping token is not valid') || has('error validating wrapping token')) {
    return VaultErrors.wrappingTokenInvalid(detail, { upstream })
  }
  if (status === 503 && (has('sealed') || errors.length === 0)) return VaultErrors.sealed(detail, { upstream })
  if (status === 403) {
    const fix = deniedFix(what)
    return VaultErrors.permissionDenied(detail, fix === undefined ? { upstream } : { upstream, fix })
  }
  if (status === 400 && has('already exists')) return VaultErrors.alreadyExists(detail, { upstream })
  if (status === 412 || status === 429 || status === 503) return VaultErrors.notReady(detail, { upstream })
  if (status >= 400 && status < 500) return VaultErrors.rejected(detail, { upstream })
  return VaultErrors.failed(detail, { upstream })
}
