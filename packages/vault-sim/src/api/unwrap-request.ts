import type { ClusterContext } from '../context.ts'
import { ERR_PERMISSION_DENIED } from '../messages.ts'
import { forbidden } from '../vault-error.ts'
import { isAllowed } from './access.ts'

const unwrapPath = 'sys/wrapping/unwrap'

/**
 * sys/wrapping/unwrap (§4): the wrapping token goes in the body or is the client token, never both. Vault validates
 * it before the handler, so a bad one is a 400 whoever asks. The path is not unauthenticated: with no client token the
 * call is refused (403) and nothing is spent. A client token authenticates the call: the wrapping token itself, whose
 * single use this is, or any token allowed on the path. A wrapping token sent both ways is therefore spent on
 * authentication, and the body finds nothing left to unwrap.
 */
export async function unwrapRequest(ctx: ClusterContext, clientToken: string | undefined, bodyToken: string) {
  const wrappingToken = bodyToken || clientToken || ''
  await ctx.wrapping.validate(wrappingToken)
  if (clientToken === undefined) throw forbidden(ERR_PERMISSION_DENIED)
  if (await ctx.wrapping.holds(clientToken)) {
    const own = await ctx.wrapping.unwrap(clientToken)
    return bodyToken === '' ? own : ctx.wrapping.unwrap(bodyToken)
  }
  const entry = ctx.tokens.lookup(clientToken)
  if (!entry || !isAllowed(ctx, entry, unwrapPath, 'POST')) throw forbidden(ERR_PERMISSION_DENIED)
  return ctx.wrapping.unwrap(wrappingToken)
}
