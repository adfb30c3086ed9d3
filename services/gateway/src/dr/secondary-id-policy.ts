import type { SecondaryIdHistory } from '../store/store.ts'
import type { SecondaryIdUse } from './pair-status.ts'

/**
 * Why vault-dr must not revoke an id the primary knows and no secondary uses, or undefined when it may: only an id
 * this handshake (`mintedHere`) or another of this gateway may have minted, and none activated a secondary with. The
 * primary's status alone cannot prove a secondary gone, nor tell who minted an id by hand.
 */
export function notOursReason(id: string, mintedHere: boolean, history: SecondaryIdHistory): string | undefined {
  if (history.activated) {
    return `the primary knows ${id}, which no connected secondary shows, but an earlier handshake activated a secondary with it: vault-dr does not revoke it`
  }
  if (!mintedHere && !history.minted) {
    return `the primary knows ${id}, which no secondary uses, but no handshake of this gateway minted it: vault-dr does not revoke it`
  }
  return undefined
}

/**
 * What may be done with a secondary id before minting for it, or when an operation that minted for it ends:
 * - `free`: the primary does not know it: nothing to clear;
 * - `ours`: the secondary is activated with it: verify, never mint or revoke;
 * - `revoke`: known, unused and minted by this gateway's handshakes: revoke it;
 * - `settling`: the secondary is bootstrapping, or an activation with it is in flight (`inFlight` says which):
 *   never touch it now;
 * - `not_ours`: known and unused, but minted by hand or activated before (`why`): never revoke it;
 * - `in_use`: another DR secondary of the primary uses it: revoking would cut that one off.
 */
export type SecondaryIdDecision =
  | { kind: 'free' | 'ours' | 'revoke' | 'in_use' }
  | { kind: 'settling'; inFlight: string | undefined }
  | { kind: 'not_ours'; why: string }

/**
 * The one decision table for a secondary id, used by preflight, minting and cleanup alike. `inFlight`: why an
 * activation this operation sent may still connect (see activationInFlight); `notOurs`: notOursReason's answer,
 * needed only when the use is 'unused'.
 */
export function decideSecondaryId(
  use: SecondaryIdUse,
  facts: { inFlight?: string | undefined; notOurs?: string | undefined } = {},
): SecondaryIdDecision {
  switch (use) {
    case 'free':
    case 'ours':
    case 'in_use':
      return { kind: use }
    case 'settling':
      return { kind: 'settling', inFlight: undefined }
    case 'unused':
      if (facts.inFlight !== undefined) return { kind: 'settling', inFlight: facts.inFlight }
      if (facts.notOurs !== undefined) return { kind: 'not_ours', why: facts.notOurs }
      return { kind: 'revoke' }
  }
}
