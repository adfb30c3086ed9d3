import type { ClusterContext } from '../context.ts'
import { ERR_PERMISSION_DENIED } from '../messages.ts'
import { forbidden } from '../vault-error.ts'
import { isAllowed } from './access.ts'

const unwrapPath = 'sys/wrapping/unwrap'

/**
 * sys/wrapping/unwrap (§4): the wrapping token goes in the body or is the client token, never both. A client token
 * authenticates the call: the wrapping token itself, whose single use this is, or any token allowed on the path.
 * A wrapping token sent both ways is therefore spent on authentication, and the body finds nothing left to unwrap.
 */
export async function unwrapRequest(ctx: ClusterContext, clientToken: string | undefined, bodyToken: string) {
  if (clientToken === undefined) return ctx.wrapping.unwrap(bodyToken)
  if (await ctx.wrapping.holds(clientToken)) {
    const own = await ctx.wrapping.unwrap(clientToken)
    return bodyToken === '' ? own : ctx.wrapping.unwrap(bodyToken)
  }
  const entry = ctx.tokens.lookup(clientToken)
  if (!entry || !isAllowed(ctx, entry, unwrapPath, 'POST')) throw forbidden(ERR_PERMISSION_DENIED)
  return ctx.wrapping.unwrap(bodyToken || clientToken)
}
