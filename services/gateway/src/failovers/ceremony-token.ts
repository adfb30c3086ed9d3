import { ceremonyOwner } from '../dr-operation-tokens/ceremony.service.ts'
import type { FailoverDeps } from './failover-deps.ts'

/** The token of the last key-share ceremony on the secondary (no TTL), in clear for the one call that sends it. */
export async function ceremonyTokenOf(deps: FailoverDeps, secondary: string): Promise<string | undefined> {
  const kept = await deps.store.getCeremonyToken(secondary)
  return kept === undefined ? undefined : deps.box.open(kept.token_sealed, ceremonyOwner(secondary))
}
