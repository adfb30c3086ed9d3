import type { UnwrapAddress } from '../../agents/agent-clients.ts'
import type { StepContext } from '../handshake-context.ts'

/** Where the secondary unwraps: the handshake's primary_api_addr, else the token's addr claim (the primary's api_addr). */
export function unwrapAddress(ctx: StepContext): UnwrapAddress {
  return { primaryApiAddr: ctx.hs.options.primary_api_addr ?? undefined }
}
