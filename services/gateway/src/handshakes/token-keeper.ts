/**
 * Holds the activation token of one handshake run, in memory only: it moves from the primary agent to the secondary
 * agent and is never stored, logged or returned. The store keeps only its metadata (id, expiry, mint count).
 */
export class TokenKeeper {
  #token: { value: string; expiresAt: number } | undefined

  get held(): boolean {
    return this.#token !== undefined
  }

  hold(value: string, expiresAt: number): void {
    this.#token = { value, expiresAt }
  }

  /** The token, when one is held with at least `marginMs` left at `now`. */
  take(now: number, marginMs: number): string | undefined {
    return this.#token !== undefined && this.#token.expiresAt - now >= marginMs ? this.#token.value : undefined
  }

  /** Milliseconds the held token has left, if one is held. */
  left(now: number): number | undefined {
    return this.#token === undefined ? undefined : this.#token.expiresAt - now
  }

  /** Forget the token (it was consumed, or revoked). */
  forget(): void {
    this.#token = undefined
  }
}
