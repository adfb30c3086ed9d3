import type { ClusterContext } from '../context.ts'
import type { Capability } from '../tokens/acl.ts'
import { badRequest, VaultError } from '../vault-error.ts'
import { type Body, stringParam } from './params.ts'

/**
 * A DR secondary has no usable normal tokens for its own control operations (fact sheet 2.6): the credential is a
 * batch token minted on the primary (valid here through the adopted keyring) whose policy grants the call, or a token
 * from the key-share ceremony. Root and service tokens are refused even when their policy would allow the path.
 */
export function authorizeDrOperation(
  ctx: ClusterContext,
  body: Body,
  path: string,
  capabilities: Capability[] = ['update'],
): void {
  const token = stringParam(body, 'dr_operation_token')
  if (!token) throw badRequest(ctx.options.compat.messages.missingDrOperationToken)
  authorizeDrToken(ctx, token, path, capabilities)
}

/** Whether `token` is a live DR operation token granting one of `capabilities` on `path`; throws when not. */
export function authorizeDrToken(ctx: ClusterContext, token: string, path: string, capabilities: Capability[]): void {
  const { compat } = ctx.options
  if (ctx.operationTokens.holds(token)) return
  const entry = token ? ctx.tokens.lookup(token) : undefined
  const caps = entry?.type === 'batch' ? ctx.tokens.capabilities(entry, path) : new Set<Capability>()
  const allowed = caps === 'root' || (!caps.has('deny') && capabilities.some((c) => caps.has(c)))
  if (!allowed) throw new VaultError(compat.invalidDrOperationTokenStatus, compat.messages.invalidDrOperationToken)
}
