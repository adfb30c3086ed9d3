import type { webcrypto } from 'node:crypto'
import { CompactSign, compactVerify, decodeJwt } from 'jose'

/** Claims of a Vault JWT wrapping token, in the order Vault writes them. */
export interface WrappingClaims {
  accessor: string
  addr: string
  exp: number
  iat: number
  jti: string
  nbf: number
  type: string
}

export type JwtCheck =
  | { ok: true; claims: WrappingClaims }
  | { ok: false; reason: 'parse' | 'signature'; cause: string }

export function createWrappingKey(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, false, ['sign', 'verify'])
}

/** Signs with ES512; header exactly `{"alg":"ES512","typ":"JWT"}` and claims in Vault's key order. */
export async function signWrappingJwt(privateKey: webcrypto.CryptoKey, claims: WrappingClaims): Promise<string> {
  const ordered: WrappingClaims = {
    accessor: claims.accessor,
    addr: claims.addr,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    nbf: claims.nbf,
    type: claims.type,
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(ordered)))
    .setProtectedHeader({ alg: 'ES512', typ: 'JWT' })
    .sign(privateKey)
}

/**
 * Checks only the signature (with this cluster's own key) and the claim shape: like Vault, expiry is
 * enforced by the wrapping-token store, not by the JWT's `exp`.
 */
export async function verifyWrappingJwt(publicKey: webcrypto.CryptoKey, token: string): Promise<JwtCheck> {
  let claims: WrappingClaims
  try {
    claims = decodeJwt(token) as unknown as WrappingClaims
  } catch (err) {
    return { ok: false, reason: 'parse', cause: errorText(err) }
  }
  try {
    await compactVerify(token, publicKey, { algorithms: ['ES512'] })
  } catch (err) {
    return { ok: false, reason: 'signature', cause: errorText(err) }
  }
  return { ok: true, claims }
}

/** Vault's test for "treat this wrapping token as a JWT": exactly two dots, second character not a dot. */
export function isJwtShaped(token: string): boolean {
  return token.split('.').length === 3 && token[1] !== '.'
}

/** Reads the claims without verifying (what a secondary does to find the primary's `addr`). */
export function readClaimsUnverified(token: string): Partial<WrappingClaims> | undefined {
  try {
    return decodeJwt(token) as Partial<WrappingClaims>
  } catch {
    return undefined
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
