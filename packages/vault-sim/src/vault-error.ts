/** An error that the API answers as `{"errors":[...]}` with `status` (Vault's error envelope). */
export class VaultError extends Error {
  readonly status: number
  readonly errors: string[]

  constructor(status: number, ...errors: string[]) {
    super(errors.join('; '))
    this.name = 'VaultError'
    this.status = status
    this.errors = errors
  }
}

export const badRequest = (message: string) => new VaultError(400, message)
export const forbidden = (message: string) => new VaultError(403, message)
export const notFound = (message: string) => new VaultError(404, message)
export const internalError = (message: string) => new VaultError(500, message)
export const unavailable = (message: string) => new VaultError(503, message)
/** A path Vault has and vault-sim does not: never Vault's own refusal texts, so nothing mistakes it for a lockdown. */
export const notEmulated = () => new VaultError(501, 'not emulated by vault-sim')
