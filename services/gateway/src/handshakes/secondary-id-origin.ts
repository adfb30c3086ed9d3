import type { SecondaryIdHistory } from '../store/store.ts'

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
