import type { ClusterContext } from '../context.ts'
import { badRequest, VaultError } from '../vault-error.ts'
import { type Body, stringParam } from './params.ts'

/**
 * A DR secondary has no usable normal tokens for its own control operations (§2.11): the credential is a batch token
 * minted on the primary (valid here through the adopted keyring) whose policy grants `update` on `path`.
 * The key-share ceremony's DR operation tokens are not emulated.
 */
export function authorizeDrOperation(ctx: ClusterContext, body: Body, path: string): void {
  const { compat } = ctx.options
  const token = stringParam(body, 'dr_operation_token')
  if (!token) throw badRequest(compat.messages.missingDrOperationToken)
  const entry = ctx.tokens.lookup(token)
  const caps = entry?.type === 'batch' ? ctx.tokens.capabilities(entry, path) : new Set<string>()
  const allowed = caps === 'root' || (!caps.has('deny') && caps.has('update'))
  if (!allowed) throw new VaultError(compat.invalidDrOperationTokenStatus, compat.messages.invalidDrOperationToken)
}
