import type { webcrypto } from 'node:crypto'
import type { SimMessages } from '../compat.ts'
import {
  ERR_NOT_UNWRAP_TOKEN,
  ERR_WRAPPING_EMPTY_TOKEN,
  ERR_WRAPPING_PARSE_PREFIX,
  ERR_WRAPPING_SIGNATURE_PREFIX,
  ERR_WRAPPING_TOKEN_INVALID,
  WARN_NO_REDIRECT_ADDR,
} from '../messages.ts'
import { newServiceTokenId, randomBase62 } from '../options.ts'
import { isJwtShaped, signWrappingJwt, verifyWrappingJwt } from '../replication/jwt.ts'
import { badRequest } from '../vault-error.ts'

export interface WrapInfo {
  token: string
  accessor: string
  ttl: number
  creation_time: string
  creation_path: string
}

interface WrappedResponse {
  accessor: string
  creationTime: string
  ttlSeconds: number
  creationPath: string
  expiresAt: number
  response: unknown
  /** Who the response belongs to (the secondary id for activation tokens), so it can be revoked. */
  tag: string | undefined
}

export interface WrappingStoreDeps {
  key: webcrypto.CryptoKeyPair
  /** The advertised api_addr, or undefined when the cluster has none. */
  apiAddr: () => string | undefined
  /** Whether `token` is a live ordinary (service or batch) token of this cluster. */
  isLiveToken: (token: string) => boolean
  messages: SimMessages
}

/**
 * Single-use response wrapping with JWT tokens signed by this cluster's key. Held in memory only
 * (a DR secondary never needs the primary's pending wrapped responses).
 */
export class WrappingStore {
  #deps: WrappingStoreDeps
  #byId = new Map<string, WrappedResponse>()

  constructor(deps: WrappingStoreDeps) {
    this.#deps = deps
  }

  async wrap(response: unknown, ttlSeconds: number, creationPath: string, tag?: string) {
    const jti = newServiceTokenId()
    const now = new Date()
    const iat = Math.floor(now.getTime() / 1000)
    const addr = this.#deps.apiAddr()
    const entry: WrappedResponse = {
      accessor: randomBase62(24),
      creationTime: now.toISOString(),
      ttlSeconds,
      creationPath,
      expiresAt: now.getTime() + ttlSeconds * 1000,
      response,
      tag,
    }
    this.#byId.set(jti, entry)
    // Vault revokes the wrapping token at its TTL; the timer only frees memory, lookups check expiresAt.
    const freeAfterMs = Math.min(ttlSeconds * 1000, 2 ** 31 - 1)
    setTimeout(() => this.#byId.get(jti) === entry && this.#byId.delete(jti), freeAfterMs).unref()
    const token = await signWrappingJwt(this.#deps.key.privateKey, {
      accessor: '',
      addr: addr ?? '',
      exp: iat + ttlSeconds,
      iat,
      jti,
      nbf: iat - 5,
      type: 'wrapping',
    })
    const wrapInfo: WrapInfo = {
      token,
      accessor: entry.accessor,
      ttl: ttlSeconds,
      creation_time: entry.creationTime,
      creation_path: creationPath,
    }
    return { wrapInfo, warnings: addr ? [] : [WARN_NO_REDIRECT_ADDR] }
  }

  /** Non-consuming lookup: creation_path, creation_time, creation_ttl. */
  async lookup(token: string) {
    if (token !== '' && this.#deps.isLiveToken(token)) throw badRequest(ERR_NOT_UNWRAP_TOKEN)
    const entry = await this.#find(token)
    return {
      creation_path: entry.creationPath,
      creation_time: entry.creationTime,
      creation_ttl: entry.ttlSeconds,
    }
  }

  /** Consumes the token and returns the wrapped response. */
  async unwrap(token: string): Promise<unknown> {
    const id = await this.#resolveId(token)
    const entry = this.#live(id)
    this.#byId.delete(id)
    return entry.response
  }

  /** Checks `token` as Vault does before a wrapping handler (the 400s), without consuming it. */
  async validate(token: string): Promise<void> {
    await this.#find(token)
  }

  /** Whether `token` is a live wrapping token of this cluster; never throws. */
  async holds(token: string): Promise<boolean> {
    try {
      await this.#find(token)
      return true
    } catch {
      return false
    }
  }

  /** Drops every unused wrapped response carrying `tag`. */
  revokeTagged(tag: string): void {
    for (const [id, entry] of this.#byId) if (entry.tag === tag) this.#byId.delete(id)
  }

  async #find(token: string): Promise<WrappedResponse> {
    return this.#live(await this.#resolveId(token))
  }

  #live(id: string): WrappedResponse {
    const entry = this.#byId.get(id)
    if (!entry || entry.expiresAt <= Date.now()) {
      this.#byId.delete(id)
      throw badRequest(ERR_WRAPPING_TOKEN_INVALID)
    }
    return entry
  }

  async #resolveId(token: string): Promise<string> {
    if (token === '') throw badRequest(ERR_WRAPPING_EMPTY_TOKEN)
    if (!isJwtShaped(token)) return token
    const check = await verifyWrappingJwt(this.#deps.key.publicKey, token)
    if (!check.ok) {
      throw check.reason === 'parse'
        ? badRequest(ERR_WRAPPING_PARSE_PREFIX + check.cause)
        : badRequest(ERR_WRAPPING_SIGNATURE_PREFIX + this.#deps.messages.jwtSignatureCause)
    }
    if (check.claims.type !== 'wrapping') throw badRequest(this.#deps.messages.unexpectedTypeClaim)
    return check.claims.jti
  }
}
